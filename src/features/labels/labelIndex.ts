/**
 * The labelled notes of the workspace, for the Labels view and the label
 * pickers. Nothing is read on activation: a glob for `*.ann` and labels files
 * (capped) when the view or a picker first asks, and each note's `.ann` and
 * text when its summary is needed, cached by modification time. Notes open in
 * the editor are summarised from the editor's labels instead (the store).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LABELS_CSV, LABELS_JSONL } from '../../engine/data/labelsFile';
import { noteLabelsIn } from './documentLabels';
import { readTextIfExists, startsWithBom } from './labelFiles';
import { NoteLabels } from './noteLabels';

/** At most this many .ann files are listed. */
export const ANN_FILE_CAP = 5000;
const EXCLUDE = '**/{node_modules,.git,.hg,.svn,dist,out,.vscode-test}/**';
/** extensions tried, in order, for the note of a .ann (brat's own is .txt) */
const NOTE_EXTENSIONS = ['.txt', '.md', '.markdown', '.text', '.note'];

export interface NoteSummary {
  note: vscode.Uri;
  ann: vscode.Uri | undefined;
  labels: NoteLabels;
  /** the note's text (for showing span text), from disk or the editor */
  text: string;
  /** the document label from the dataset root's labels file */
  noteLabel?: string;
  /** the note could not be read */
  error?: string;
}

interface Cached {
  mtimes: string;
  summary: NoteSummary;
}

export class LabelIndex implements vscode.Disposable {
  private annFiles: vscode.Uri[] | undefined;
  private labelFiles: vscode.Uri[] | undefined;
  private listing: Promise<void> | undefined;
  private readonly summaries = new Map<string, Cached>();
  private readonly labelsOfAnn = new Map<string, { mtime: number; labels: string[] }>();
  private readonly labelsFiles = new Map<string, { mtime: number; labels: Map<string, string> }>();
  truncated = false;

  /** Forgets the file lists (files were created or deleted). */
  invalidate(): void {
    this.annFiles = undefined;
    this.labelFiles = undefined;
    this.listing = undefined;
  }

  private async list(): Promise<void> {
    if (this.annFiles && this.labelFiles) return;
    this.listing ??= (async () => {
      const [anns, labels] = await Promise.all([
        vscode.workspace.findFiles('**/*.ann', EXCLUDE, ANN_FILE_CAP + 1),
        vscode.workspace.findFiles(`**/{${LABELS_CSV},${LABELS_JSONL}}`, EXCLUDE, 500),
      ]);
      this.truncated = anns.length > ANN_FILE_CAP;
      this.annFiles = anns.slice(0, ANN_FILE_CAP);
      this.labelFiles = labels;
    })();
    await this.listing;
  }

  /** Every labelled note: those with a .ann and those a labels file lists. */
  async notes(): Promise<Array<{ note: vscode.Uri; ann?: vscode.Uri; noteLabel?: string }>> {
    await this.list();
    const byNote = new Map<string, { note: vscode.Uri; ann?: vscode.Uri; noteLabel?: string }>();
    for (const ann of this.annFiles ?? []) {
      const note = noteOfAnn(ann.fsPath);
      if (note) byNote.set(note, { note: vscode.Uri.file(note), ann });
    }
    for (const file of this.labelFiles ?? []) {
      for (const [key, label] of await this.labelsIn(file.fsPath)) {
        const note = path.join(path.dirname(file.fsPath), ...key.split('/'));
        const have = byNote.get(note);
        if (have) have.noteLabel ??= label;
        else if (fs.existsSync(note)) byNote.set(note, { note: vscode.Uri.file(note), noteLabel: label });
      }
    }
    return [...byNote.values()].sort((a, b) => natural(a.note.fsPath, b.note.fsPath));
  }

  /** The workspace's labels files (labels.csv, labels.jsonl). */
  async labelFilePaths(): Promise<string[]> {
    await this.list();
    return (this.labelFiles ?? []).map((u) => u.fsPath).sort(natural);
  }

  /** A note's labels from disk (cached by the files' modification times). */
  async summary(entry: { note: vscode.Uri; ann?: vscode.Uri; noteLabel?: string }): Promise<NoteSummary> {
    const notePath = entry.note.fsPath;
    const mtimes = [notePath, entry.ann?.fsPath].map((p) => (p ? String(fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0) : '-')).join('|') + `|${entry.noteLabel ?? ''}`;
    const have = this.summaries.get(notePath);
    if (have && have.mtimes === mtimes) return have.summary;
    let summary: NoteSummary;
    try {
      const [text, ann, hadBom] = await Promise.all([readTextIfExists(notePath), entry.ann ? readTextIfExists(entry.ann.fsPath) : undefined, startsWithBom(notePath)]);
      const plain = (text ?? '').replace(/^\uFEFF/, '');
      summary = { note: entry.note, ann: entry.ann, text: plain, labels: NoteLabels.read(ann, plain, { hadBom }).labels, noteLabel: entry.noteLabel };
    } catch (e) {
      summary = { note: entry.note, ann: entry.ann, text: '', labels: new NoteLabels(), noteLabel: entry.noteLabel, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
    }
    this.summaries.set(notePath, { mtimes, summary });
    return summary;
  }

  /** Every span label used in the workspace's .ann files (T lines only; note texts are not read). */
  async spanLabels(): Promise<Set<string>> {
    await this.list();
    const out = new Set<string>();
    await Promise.all(
      (this.annFiles ?? []).map(async (ann) => {
        const mtime = fs.statSync(ann.fsPath, { throwIfNoEntry: false })?.mtimeMs ?? 0;
        let cached = this.labelsOfAnn.get(ann.fsPath);
        if (!cached || cached.mtime !== mtime) {
          const text = (await readTextIfExists(ann.fsPath).catch(() => undefined)) ?? '';
          cached = { mtime, labels: [...text.matchAll(/^T\S*\t(\S+) \d/gm)].map((m) => m[1]!) };
          this.labelsOfAnn.set(ann.fsPath, cached);
        }
        for (const l of cached.labels) out.add(l);
      }),
    );
    return out;
  }

  /** Every note label in the workspace's labels files. */
  async noteLabels(): Promise<Set<string>> {
    await this.list();
    const out = new Set<string>();
    for (const file of this.labelFiles ?? []) for (const l of (await this.labelsIn(file.fsPath)).values()) out.add(l);
    return out;
  }

  /** A labels file's (note key, label) pairs, cached by modification time. */
  private async labelsIn(file: string): Promise<Map<string, string>> {
    const mtime = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    const have = this.labelsFiles.get(file);
    if (have && have.mtime === mtime) return have.labels;
    const text = await readTextIfExists(file).catch(() => undefined);
    const labels = text ? noteLabelsIn(text, file.endsWith('.jsonl') ? 'jsonl' : 'csv') : new Map<string, string>();
    this.labelsFiles.set(file, { mtime, labels });
    return labels;
  }

  dispose(): void {
    this.summaries.clear();
  }
}

const natural = new Intl.Collator('en', { numeric: true }).compare;

/** The note a .ann belongs to: the .txt of the same name, else another note extension that exists. */
export function noteOfAnn(annPath: string): string | undefined {
  const stem = annPath.slice(0, -'.ann'.length);
  for (const ext of NOTE_EXTENSIONS) if (fs.existsSync(stem + ext)) return stem + ext;
  return undefined;
}
