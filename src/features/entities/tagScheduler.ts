/**
 * When to ask the engine for a document's entities, kept free of the VS Code
 * API so it can be tested in plain Node: edits are debounced, a newer edit
 * cancels the request in flight, long notes are tagged in the visible range
 * first and then in full, and a result for an outdated document version is
 * dropped (the previous decorations stay until a current result arrives).
 */
import type { TagParams, TagResult } from '../../engine/tasks/protocol';

export interface TaggedDocument {
  /** stable key, e.g. the URI */
  key: string;
  version(): number;
  text(): string;
  /** character range on screen, when the document is visible */
  visibleRange(): { start: number; end: number } | undefined;
}

export interface TagSchedulerOptions {
  /** read at each edit, so a settings change applies at once */
  debounceMs(): number;
  /** notes longer than this (characters) are tagged in the visible range first */
  longNoteChars: number;
  /** extra params from settings (merge mode, assertion window, ...) */
  params(): Omit<TagParams, 'text' | 'document' | 'version' | 'range'>;
  tag(params: TagParams, signal: AbortSignal): Promise<TagResult>;
  /** a result for the document's current version */
  apply(key: string, result: TagResult): void;
  /** a failed request (not a cancellation) */
  failed(key: string, error: unknown): void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface DocState {
  timer?: unknown;
  inFlight?: AbortController;
}

export class TagScheduler {
  private readonly docs = new Map<string, DocState>();

  constructor(private readonly opts: TagSchedulerOptions) {}

  /** debounced: after an edit */
  schedule(doc: TaggedDocument): void {
    const st = this.state(doc.key);
    this.clearTimer(st);
    const set = this.opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    st.timer = set(() => {
      st.timer = undefined;
      void this.run(doc);
    }, this.opts.debounceMs());
  }

  /** at once: a document opened or became visible */
  now(doc: TaggedDocument): Promise<void> {
    this.clearTimer(this.state(doc.key));
    return this.run(doc);
  }

  cancel(key: string): void {
    const st = this.docs.get(key);
    if (!st) return;
    this.clearTimer(st);
    st.inFlight?.abort();
    this.docs.delete(key);
  }

  dispose(): void {
    for (const key of [...this.docs.keys()]) this.cancel(key);
  }

  private state(key: string): DocState {
    let st = this.docs.get(key);
    if (!st) {
      st = {};
      this.docs.set(key, st);
    }
    return st;
  }

  private clearTimer(st: DocState): void {
    if (st.timer === undefined) return;
    (this.opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)))(st.timer);
    st.timer = undefined;
  }

  private async run(doc: TaggedDocument): Promise<void> {
    const st = this.state(doc.key);
    st.inFlight?.abort();
    const ac = new AbortController();
    st.inFlight = ac;
    const version = doc.version();
    const text = doc.text();
    const base = { ...this.opts.params(), text, document: doc.key, version };
    const range = text.length > this.opts.longNoteChars ? doc.visibleRange() : undefined;
    try {
      if (range) {
        const first = await this.opts.tag({ ...base, range }, ac.signal);
        if (!this.current(doc, ac, version)) return;
        this.opts.apply(doc.key, first);
        if (first.complete) return;
      }
      const full = await this.opts.tag(base, ac.signal);
      if (!this.current(doc, ac, version)) return;
      this.opts.apply(doc.key, full);
    } catch (e) {
      if (ac.signal.aborted || (e as { code?: string }).code === 'cancelled') return;
      if (this.current(doc, ac, version)) this.opts.failed(doc.key, e);
    } finally {
      if (st.inFlight === ac) st.inFlight = undefined;
    }
  }

  private current(doc: TaggedDocument, ac: AbortController, version: number): boolean {
    return !ac.signal.aborted && doc.version() === version;
  }
}
