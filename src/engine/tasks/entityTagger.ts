/**
 * Entities of a note: model NER (when the loaded model has a usable token
 * head), lexicon matches, merged, each with its assertion status.
 *
 * Incremental by design: the note is cut into blocks, and the model's spans
 * are cached per document by block text. After an edit, only blocks whose
 * text changed run through the model again (a block longer than one window
 * runs as several windows); moved blocks reuse their cached spans, shifted.
 * Blocks do not see each other's text -- the price of edits that cost about
 * one window instead of the whole note. Lexicon and assertion run on the whole
 * note every time: they are cheap (see BENCHMARKS.md, "Entities").
 *
 * Blocks: text between blank lines; a paragraph longer than MAX_BLOCK_CHARS
 * is cut further at line and sentence ends chosen by their content
 * (content-defined chunking): a unit (a line, or a sentence within a long
 * line) ends a block when the block has at least MIN_BLOCK_CHARS and a hash
 * of the unit's text says so, or at the first unit end at or past
 * MAX_BLOCK_CHARS. Because a cut depends on the text near it, not on the
 * note's length so far, an edit moves at most the cuts next to it, and
 * single-spaced notes stay incremental too.
 */
import { EngineError } from '../errors';
import type { EngineHost, LoadedModel, TensorOut } from '../host';
import type { TokenWindow } from '../text/types';
import { AssertionContext, type Assertion } from './assertion';
import { chooseTaskHead, HOW_TO_GET_A_TOKEN_HEAD, type TaskHead } from './heads';
import { mergeSpans, type Lexicon, type MergeMode } from './lexicon';
import { decodeTokenLogits, type DecodedSpan } from './nerDecode';

export interface EntitySpan extends Assertion {
  start: number;
  end: number;
  type: string;
  /** model: mean word confidence 0..1; lexicon: 1 */
  score: number;
  source: 'model' | 'lexicon';
}

/** Why model NER did or did not contribute. */
export type ModelUse = 'used' | 'none' | 'demo' | 'no-token-head' | 'off';

export interface TagParams {
  text: string;
  /** key of the incremental cache (e.g. the document URI); omit for a one-off note */
  document?: string;
  /** echoed back so the caller can drop results for an outdated version */
  version?: number;
  /** run the model only on blocks overlapping this [start, end); other blocks use cached spans or none */
  range?: { start: number; end: number };
  /** default 'modelFirst': model spans win, lexicon spans fill gaps */
  merge?: MergeMode;
  /** words between an assertion trigger and its entity (default 8) */
  windowWords?: number;
  /** false: lexicon and assertion only */
  useModel?: boolean;
  /** run a demo or random-weight model anyway (plumbing tests, benchmarks); the editor never sets it */
  allowDemo?: boolean;
  /** a head folder (heads/NAME) to tag with; default: the tokenHead setting, the checkpoint's head, or the only token head folder */
  head?: string;
}

export interface TagResult {
  version?: number;
  spans: EntitySpan[];
  model: ModelUse;
  /** one sentence for the user when model NER is off or limited */
  notice?: string;
  /** true when model NER covered every block (false when `range` limited it) */
  complete: boolean;
  blocksRun: number;
  blocksReused: number;
}

interface Block {
  start: number;
  text: string;
}

/** default block bounds in characters; the tagger derives them from the model's window (blockSizeFor) */
export const MIN_BLOCK_CHARS = 300;
export const MAX_BLOCK_CHARS = 1200;

export interface BlockSize {
  minChars: number;
  maxChars: number;
}

/**
 * Block bounds for a window of `windowTokens`: clinical text runs about 4
 * characters per token, so 3 characters per content token keeps most blocks
 * inside one window, and an edit re-runs about one window's inference.
 */
export function blockSizeFor(windowTokens: number): BlockSize {
  const maxChars = Math.max(120, (windowTokens - 2) * 3);
  return { minChars: Math.floor(maxChars / 4), maxChars };
}
/** one cut candidate in CUT_ODDS ends a block (once MIN_BLOCK_CHARS is reached) */
const CUT_ODDS = 3;

function unitHash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Cuts one paragraph [from, to) at content-chosen unit ends (see the header). */
function cutParagraph(text: string, from: number, to: number, out: Array<[number, number]>, size: BlockSize): void {
  if (to - from <= size.maxChars) {
    out.push([from, to]);
    return;
  }
  const unitEnd = /\n|[.!?;](?=\s)/g;
  unitEnd.lastIndex = from;
  let blockStart = from;
  let unitStart = from;
  for (let m = unitEnd.exec(text); m && m.index < to; m = unitEnd.exec(text)) {
    const end = m.index + m[0].length;
    const len = end - blockStart;
    if ((len >= size.minChars && unitHash(text, unitStart, end) % CUT_ODDS === 0) || len >= size.maxChars) {
      out.push([blockStart, end]);
      blockStart = end;
    }
    unitStart = end;
  }
  if (blockStart < to) out.push([blockStart, to]);
}

/** Blocks of a note (see the header); blank-only blocks dropped. */
export function splitBlocks(text: string, size: BlockSize = { minChars: MIN_BLOCK_CHARS, maxChars: MAX_BLOCK_CHARS }): Block[] {
  const ranges: Array<[number, number]> = [];
  const sep = /\n[ \t]*(?:\n[ \t]*)+/g;
  let from = 0;
  for (const m of text.matchAll(sep)) {
    cutParagraph(text, from, m.index, ranges, size);
    from = m.index + m[0].length;
  }
  cutParagraph(text, from, text.length, ranges, size);
  const blocks: Block[] = [];
  for (const [a, b] of ranges) {
    const t = text.slice(a, b);
    if (t.trim().length > 0) blocks.push({ start: a, text: t });
  }
  return blocks;
}

interface DocumentCache {
  modelKey: string;
  /** block text -> model spans relative to the block start */
  blocks: Map<string, DecodedSpan[]>;
}

const MAX_DOCUMENTS = 16;

export class EntityTagger {
  private lexicon: Lexicon | undefined;
  private readonly documents = new Map<string, DocumentCache>();

  constructor(private readonly host: EngineHost) {}

  setLexicon(lexicon: Lexicon | undefined): void {
    this.lexicon = lexicon;
  }

  lexiconInfo(): { types: readonly string[]; terms: number } | undefined {
    return this.lexicon ? { types: this.lexicon.types, terms: this.lexicon.termCount } : undefined;
  }

  forget(document: string): void {
    this.documents.delete(document);
  }

  async tag(p: TagParams, signal?: AbortSignal): Promise<TagResult> {
    if (typeof p.text !== 'string') throw new EngineError('bad-input', 'ner.tag needs the note text as a string.');
    const { model, head, use, notice } = this.usableModel(p.useModel !== false, p.allowDemo === true, p.head || this.host.settings().tokenHead || undefined);
    let modelSpans: DecodedSpan[] = [];
    let complete = use !== 'used';
    let blocksRun = 0;
    let blocksReused = 0;
    if (model && head) {
      const r = await this.modelSpans(model, head, p, signal);
      modelSpans = r.spans;
      complete = r.complete;
      blocksRun = r.run;
      blocksReused = r.reused;
    }
    const lexiconSpans = this.lexicon ? this.lexicon.match(p.text) : [];
    type Sourced = DecodedSpan & { source: 'model' | 'lexicon' };
    const merged = mergeSpans<Sourced>(
      modelSpans.map((s): Sourced => ({ start: s.start, end: s.end, type: s.type, score: s.score, source: 'model' })),
      lexiconSpans.map((s): Sourced => ({ start: s.start, end: s.end, type: s.type, score: 1, source: 'lexicon' })),
      p.merge ?? 'modelFirst',
    );
    // a model span may split a word written without spaces (CJK): its whole words are asserted
    const assertion = new AssertionContext(p.text, { windowWords: p.windowWords, midWord: 'widen' });
    const spans = merged.map((s): EntitySpan => {
      const a = assertion.assert(s.start, s.end);
      return {
        start: s.start, end: s.end, type: s.type, score: s.score, source: s.source,
        negated: a.negated, uncertain: a.uncertain, historical: a.historical, hypothetical: a.hypothetical, experiencer: a.experiencer,
      };
    });
    const lexiconNote = this.lexicon ? '' : ' No lexicon is loaded.';
    return {
      version: p.version,
      spans,
      model: use,
      notice: notice ? notice + lexiconNote : undefined,
      complete,
      blocksRun,
      blocksReused,
    };
  }

  private usableModel(wanted: boolean, allowDemo: boolean, headName: string | undefined): { model?: LoadedModel; head?: TaskHead; use: ModelUse; notice?: string } {
    if (!wanted) return { use: 'off' };
    let model: LoadedModel;
    try {
      model = this.host.model();
    } catch (e) {
      if (e instanceof EngineError && e.code === 'not-loaded') {
        return { use: 'none', notice: 'No model is loaded: entities come from lexicons only.' };
      }
      throw e;
    }
    const demoModel = { use: 'demo' as const, notice: `The loaded model (${model.info.name}) is a demo or random-weight checkpoint, so model entities are off; lexicon terms are still highlighted.` };
    let head: TaskHead | undefined;
    try {
      head = chooseTaskHead(model, 'token', headName);
    } catch (e) {
      if (model.info.demo && !allowDemo) return demoModel;
      // a misnamed or ambiguous head is a setting to fix, not a reason to stop lexicon highlighting
      if (e instanceof EngineError) return { use: 'no-token-head', notice: `${e.message} Lexicon terms are still highlighted.` };
      throw e;
    }
    if (model.info.demo && !allowDemo) {
      // A head the user trained (a folder without the random-weight flag) learned something even on a demo
      // encoder's features: run it, and say what it stands on.
      if (!head?.name || head.demo) return demoModel;
      return {
        model,
        head,
        use: 'used',
        notice: `The token head "${head.name}" runs on a demo (random-weight) encoder: its entities show what it learned from your labels on random features, not what a real model would find.`,
      };
    }
    if (!head) {
      return { use: 'no-token-head', notice: `The loaded model (${model.info.name}) has no token-classification head. ${HOW_TO_GET_A_TOKEN_HEAD}` };
    }
    if (head.demo && !allowDemo) {
      return { use: 'demo', notice: `The token head "${head.name}" has random weights (a test head), so model entities are off; lexicon terms are still highlighted.` };
    }
    return { model, head, use: 'used' };
  }

  private async modelSpans(model: LoadedModel, head: TaskHead, p: TagParams, signal?: AbortSignal): Promise<{ spans: DecodedSpan[]; complete: boolean; run: number; reused: number }> {
    const modelKey = `${model.info.path}\u0000${model.info.onnxPath}\u0000${head.name ?? ''}`;
    const key = p.document;
    let cache = key !== undefined ? this.documents.get(key) : undefined;
    if (!cache || cache.modelKey !== modelKey) cache = { modelKey, blocks: new Map() };
    const blocks = splitBlocks(p.text, blockSizeFor(model.info.windowTokens));
    const todo: Array<{ block: Block; windows: TokenWindow[] }> = [];
    let complete = true;
    let reused = 0;
    for (const b of blocks) {
      if (cache.blocks.has(b.text)) {
        reused++;
        continue;
      }
      const inRange = !p.range || (b.start < p.range.end && b.start + b.text.length > p.range.start);
      if (!inRange) {
        complete = false;
        continue;
      }
      todo.push({ block: b, windows: model.windows(b.text) });
    }
    if (todo.length > 0) {
      const all = todo.flatMap((t) => t.windows.map((w) => w.ids));
      const outputs = await model.run(all, ['logits'], signal, head.runOptions);
      const labels = head.labels;
      let k = 0;
      for (const t of todo) {
        const logits: TensorOut[] = [];
        for (let i = 0; i < t.windows.length; i++) {
          const out = outputs[k++]?.['logits'];
          if (!out) throw new EngineError('unsupported-model', `The model (${model.info.name}) produced no "logits" output. ${HOW_TO_GET_A_TOKEN_HEAD}`);
          logits.push(out);
        }
        cache.blocks.set(t.block.text, decodeTokenLogits(t.block.text, t.windows, logits, labels));
      }
    }
    // keep only blocks of the current text, so a document's cache is about its own size
    const kept = new Map<string, DecodedSpan[]>();
    const spans: DecodedSpan[] = [];
    for (const b of blocks) {
      const cached = cache.blocks.get(b.text);
      if (!cached) continue;
      kept.set(b.text, cached);
      for (const s of cached) spans.push({ ...s, start: s.start + b.start, end: s.end + b.start });
    }
    if (key !== undefined) {
      this.documents.delete(key);
      this.documents.set(key, { modelKey, blocks: kept });
      while (this.documents.size > MAX_DOCUMENTS) this.documents.delete(this.documents.keys().next().value!);
    }
    return { spans, complete, run: todo.length, reused };
  }
}
