/**
 * The labels of the notes open in VS Code, kept in step with their text and
 * with the `.ann` files on disk.
 *
 * - A note's `.ann` is read when the note is first shown or labelled.
 * - Edits made in the editor move the spans (spanFollowing.ts).
 * - The `.ann` describes the note's text on disk, so it is written only when
 *   the two agree: at once after a label change on a note without unsaved
 *   edits, otherwise when the note is saved (never on every keystroke).
 * - A note or `.ann` changed outside VS Code (file watcher) is read again: the
 *   `.ann` from disk against the new text, so that spans whose stored text no
 *   longer matches are flagged (noteLabels.ts), never moved silently. When
 *   the note has unsaved edits, that waits until the editor's text is the
 *   text on disk again (reverted or reloaded).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { describeProblem } from '../../engine/data/read';
import { annConflict, annPathFor, readTextIfExists, startsWithBom, writeFileAtomic } from './labelFiles';
import { NoteLabels } from './noteLabels';

interface Entry {
  uri: vscode.Uri;
  annPath: string;
  labels: NoteLabels;
  /** the note's text on disk that the .ann on disk describes (as far as this editor knows) */
  diskText: string;
  /** the .ann's content as last read or written here ('' when there is none) */
  diskAnn: string;
  /** a save of the note is under way: watcher events wait for it */
  saving: boolean;
  /** files changed outside VS Code, applied once the editor shows the same text */
  pending?: { text: string; ann: string | undefined; hadBom: boolean };
  watcher: vscode.FileSystemWatcher;
  /** unsaved label changes were announced as lost when the note closed */
  warnedPending?: boolean;
}

export class LabelError extends Error {}

export class LabelStore implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** a note's labels changed (edits, label commands, files on disk) */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onWillSaveTextDocument((e) => {
        const entry = this.entries.get(e.document.uri.toString());
        if (!entry) return;
        entry.saving = true;
        // a save that fails never reports back: stop waiting for it
        setTimeout(() => (entry.saving = false), 30_000).unref?.();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => void this.onSaved(doc)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.onClosed(doc)),
    );
  }

  /** A note the feature can label: a saved file (untitled notes have nowhere to keep a .ann). */
  static canLabel(doc: vscode.TextDocument): boolean {
    return doc.uri.scheme === 'file';
  }

  /** The labels of an open note when already read. */
  peek(doc: vscode.TextDocument): NoteLabels | undefined {
    return this.entries.get(doc.uri.toString())?.labels;
  }

  /** The labels of an open note, reading its .ann on first use. */
  async labelsOf(doc: vscode.TextDocument): Promise<NoteLabels> {
    return (await this.entry(doc)).labels;
  }

  /** Notes whose labels are loaded (open in the editor). */
  openNotes(): Array<{ uri: vscode.Uri; labels: NoteLabels }> {
    return [...this.entries.values()].map((e) => ({ uri: e.uri, labels: e.labels }));
  }

  /**
   * Changes a note's labels: `change` edits them (return false when nothing
   * changed); the .ann is written at once when the note has no unsaved edits.
   */
  async update(doc: vscode.TextDocument, change: (labels: NoteLabels, text: string) => boolean): Promise<void> {
    const entry = await this.entry(doc);
    if (!change(entry.labels, doc.getText())) return;
    entry.labels.dirty = true;
    this.changed.fire(entry.uri);
    await this.flush(entry, doc);
  }

  private async entry(doc: vscode.TextDocument): Promise<Entry> {
    const key = doc.uri.toString();
    const have = this.entries.get(key);
    if (have) return have;
    let p = this.loading.get(key);
    if (!p) {
      p = this.load(doc).finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    return p;
  }

  private async load(doc: vscode.TextDocument): Promise<Entry> {
    if (!LabelStore.canLabel(doc)) throw new LabelError('Save the note first: its labels are kept in a .ann file beside it.');
    const notePath = doc.uri.fsPath;
    const conflict = annConflict(notePath, (p) => fs.existsSync(p));
    if (conflict) throw new LabelError(`This note cannot be labelled: ${conflict}.`);
    const annPath = annPathFor(notePath);
    const [ann, disk, hadBom] = await Promise.all([readTextIfExists(annPath), readTextIfExists(notePath), startsWithBom(notePath)]);
    const text = doc.getText();
    const diskText = doc.isDirty && disk !== undefined ? disk.replace(/^\uFEFF/, '') : text;
    const { labels, problems } = NoteLabels.read(ann, diskText, { file: path.basename(annPath), hadBom });
    // a note with unsaved edits: the .ann describes the text on disk
    labels.rebase(diskText, text);
    for (const p of problems) this.ctx.log('warn', `Labels: ${describeProblem(p)}`);
    if (labels.unplaced.length || labels.flagged.length) {
      this.ctx.log('warn', `Labels: ${path.basename(annPath)}: ${labels.flagged.length} label(s) to review, ${labels.unplaced.length} line(s) not shown (see the Labels view).`);
    }
    const key = doc.uri.toString();
    const existing = this.entries.get(key);
    if (existing) return existing;
    const dir = vscode.Uri.file(path.dirname(notePath));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(dir, `{${globEscape(path.basename(notePath))},${globEscape(path.basename(annPath))}}`));
    const entry: Entry = { uri: doc.uri, annPath, labels, diskText, diskAnn: ann ?? '', saving: false, watcher };
    const onDisk = () => void this.onDiskChange(entry);
    watcher.onDidChange(onDisk);
    watcher.onDidCreate(onDisk);
    watcher.onDidDelete(onDisk);
    this.entries.set(key, entry);
    this.changed.fire(doc.uri);
    return entry;
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const entry = this.entries.get(e.document.uri.toString());
    if (!entry || !e.contentChanges.length) return;
    if (entry.labels.follow(e.contentChanges)) this.changed.fire(entry.uri);
    if (this.applyPending(entry, e.document)) return;
    // an undo back to the text on disk: the .ann can be brought up to date now
    if (entry.labels.dirty && !e.document.isDirty) void this.flush(entry, e.document);
  }

  private async onSaved(doc: vscode.TextDocument): Promise<void> {
    const entry = this.entries.get(doc.uri.toString());
    if (!entry) return;
    entry.saving = false;
    entry.diskText = doc.getText();
    entry.pending = undefined;
    await this.flush(entry, doc);
  }

  private onClosed(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.labels.dirty) {
      this.ctx.log('warn', `Labels: ${path.basename(entry.annPath)} was not updated: the note was closed without saving its edits.`);
      void vscode.window.showWarningMessage(`Clinical ModernBERT: label changes in ${path.basename(doc.uri.fsPath)} were not saved, because the note was closed without saving its edits.`);
    }
    entry.watcher.dispose();
    this.entries.delete(key);
    this.changed.fire(entry.uri);
  }

  /** Writes the .ann when the editor's text is the text on disk. */
  private async flush(entry: Entry, doc: vscode.TextDocument): Promise<void> {
    if (!entry.labels.dirty) return;
    const text = doc.getText();
    if (doc.isDirty || text !== entry.diskText) return;
    const content = entry.labels.format(text);
    if (content === entry.diskAnn && fs.existsSync(entry.annPath)) {
      entry.labels.dirty = false;
      return;
    }
    // a note without labels gets no .ann; one that had labels keeps an empty .ann (a note with no entities)
    if (content === '' && !fs.existsSync(entry.annPath)) {
      entry.labels.dirty = false;
      return;
    }
    try {
      entry.diskAnn = content;
      await writeFileAtomic(entry.annPath, content);
      entry.labels.dirty = false;
    } catch (e) {
      entry.diskAnn = '';
      const message = `Could not write ${path.basename(entry.annPath)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`;
      this.ctx.log('error', `Labels: ${message}`);
      void vscode.window.showErrorMessage(`Clinical ModernBERT: ${message} Check that the folder is writable; the labels stay in the editor until the note is saved.`);
    }
  }

  private async onDiskChange(entry: Entry): Promise<void> {
    if (entry.saving) return; // onSaved brings the entry up to date
    const notePath = entry.uri.fsPath;
    const [disk, ann, hadBom] = await Promise.all([readTextIfExists(notePath), readTextIfExists(entry.annPath), startsWithBom(notePath)]);
    if (disk === undefined) return; // deleted: the editor keeps the text, and labels stay until it is saved again
    const text = disk.replace(/^\uFEFF/, '');
    if (text === entry.diskText && (ann ?? '') === entry.diskAnn) return; // our own write
    entry.pending = { text, ann, hadBom };
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === entry.uri.toString());
    if (doc && !this.applyPending(entry, doc) && entry.labels.dirty) {
      void vscode.window.showWarningMessage(
        `Clinical ModernBERT: ${path.basename(notePath)} or its .ann changed on disk while the note has unsaved edits; saving the note writes the editor's labels over the .ann.`,
      );
    }
  }

  /** Takes the files read from disk once the editor shows the text they describe. */
  private applyPending(entry: Entry, doc: vscode.TextDocument): boolean {
    const p = entry.pending;
    if (!p || doc.getText() !== p.text) return false;
    entry.pending = undefined;
    const { labels, problems } = NoteLabels.read(p.ann, p.text, { file: path.basename(entry.annPath), hadBom: p.hadBom });
    for (const x of problems) this.ctx.log('warn', `Labels: ${describeProblem(x)}`);
    entry.labels = labels;
    entry.diskText = p.text;
    entry.diskAnn = p.ann ?? '';
    if (labels.flagged.length || labels.unplaced.length) {
      this.ctx.log('warn', `Labels: ${path.basename(entry.annPath)} read again after a change on disk: ${labels.flagged.length} label(s) to review, ${labels.unplaced.length} not found in the note.`);
    }
    this.changed.fire(entry.uri);
    return true;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.watcher.dispose();
    this.entries.clear();
    for (const d of this.disposables) d.dispose();
  }
}

const globEscape = (name: string) => name.replace(/[{}[\]*?,]/g, (c) => `[${c}]`);
