/**
 * Document labels (classification) live in one file at the dataset root, the
 * shape the dataset reader takes (docs/datasets.md): `labels.csv` with
 * `path,label` rows, or `labels.jsonl` with `{"path","label"}` lines. This
 * module finds the root of a note and edits one note's row, keeping every
 * other row and column. Free of the VS Code API.
 *
 * The dataset root of a note is the nearest folder, from the note's own folder
 * up to its workspace folder, that holds `labels.csv`, `labels.jsonl` or a
 * `.cmb-dataset` marker; without one, the workspace folder; outside any
 * workspace folder, the note's own folder.
 */
import * as path from 'node:path';
import { LABELS_CSV, LABELS_JSONL, isLabelsHeader, notePathKey } from '../../engine/data/labelsFile';
import { formatCsv, parseCsv } from '../../engine/data/rfc4180';

export const DATASET_MARKER = '.cmb-dataset';

export interface DatasetRoot {
  root: string;
  /** the labels file to read and write: the one present, else labels.csv */
  labelsFile: string;
  kind: 'csv' | 'jsonl';
}

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

export function findDatasetRoot(notePath: string, workspaceFolders: readonly string[], exists: (p: string) => boolean): DatasetRoot {
  const folder = workspaceFolders.filter((w) => inside(notePath, w)).sort((a, b) => b.length - a.length)[0];
  const labelsIn = (dir: string): DatasetRoot | undefined => {
    if (exists(path.join(dir, LABELS_CSV))) return { root: dir, labelsFile: path.join(dir, LABELS_CSV), kind: 'csv' };
    if (exists(path.join(dir, LABELS_JSONL))) return { root: dir, labelsFile: path.join(dir, LABELS_JSONL), kind: 'jsonl' };
    if (exists(path.join(dir, DATASET_MARKER))) return { root: dir, labelsFile: path.join(dir, LABELS_CSV), kind: 'csv' };
    return undefined;
  };
  let dir = path.dirname(notePath);
  for (;;) {
    const found = labelsIn(dir);
    if (found) return found;
    if (!folder || dir === folder || !inside(dir, folder)) break;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const root = folder ?? path.dirname(notePath);
  return { root, labelsFile: path.join(root, LABELS_CSV), kind: 'csv' };
}

/** The note's key in the labels file: its path relative to the root, forward slashes. */
export function noteKey(root: string, notePath: string): string | undefined {
  return notePathKey(path.relative(root, notePath).split(path.sep).join('/'));
}

export class LabelsFileError extends Error {}

/** The label a labels file gives `key` (the first row wins, as the reader reads it). */
export function noteLabelIn(fileText: string | undefined, kind: 'csv' | 'jsonl', key: string): string | undefined {
  return fileText ? noteLabelsIn(fileText, kind).get(key) : undefined;
}

/** Every (key, label) of a labels file, for the Labels view. */
export function noteLabelsIn(fileText: string, kind: 'csv' | 'jsonl'): Map<string, string> {
  const out = new Map<string, string>();
  if (kind === 'jsonl') {
    for (const line of fileText.split('\n')) {
      const o = parseObject(line);
      const key = o && typeof o['path'] === 'string' ? notePathKey(o['path'].trim()) : undefined;
      if (key && typeof o!['label'] === 'string' && o!['label'].trim() && !out.has(key)) out.set(key, o!['label'].trim());
    }
    return out;
  }
  const [header, ...rows] = parseCsv(fileText).records;
  if (!header || !isLabelsHeader(header.fields)) return out;
  const pi = column(header.fields, 'path');
  const li = column(header.fields, 'label');
  for (const r of rows) {
    const key = notePathKey((r.fields[pi] ?? '').trim());
    const label = (r.fields[li] ?? '').trim();
    if (key && label && !out.has(key)) out.set(key, label);
  }
  return out;
}

/**
 * The labels file with `key`'s label set to `label` (undefined: removed). Other
 * rows, their order and extra columns stay. A CSV that cannot be read whole (a
 * quote never closed) or has no `path,label` header is refused rather than
 * rewritten, since rewriting it would lose rows.
 */
export function setNoteLabel(fileText: string | undefined, kind: 'csv' | 'jsonl', notePath: string, label: string | undefined): string {
  const key = notePathKey(notePath);
  if (key === undefined) throw new LabelsFileError('the note is outside the dataset folder');
  return kind === 'jsonl' ? setJsonlLabel(fileText ?? '', key, label) : setCsvLabel(fileText ?? '', key, label);
}

function column(fields: readonly string[], name: string): number {
  return fields.findIndex((f) => f.trim().toLowerCase() === name);
}

function setCsvLabel(text: string, key: string, label: string | undefined): string {
  if (text.trim() === '') return label === undefined ? formatCsv([['path', 'label']]) : formatCsv([['path', 'label'], [key, label]]);
  const { records, issues } = parseCsv(text);
  const broken = issues.find((i) => /never closed/.test(i.message));
  if (broken) throw new LabelsFileError(`${LABELS_CSV} line ${broken.line}: a quoted field is never closed; fix the file before labelling notes`);
  const [header, ...rows] = records;
  if (!header || !isLabelsHeader(header.fields)) throw new LabelsFileError(`${LABELS_CSV}: the first row must be the header path,label; fix the file before labelling notes`);
  const pi = column(header.fields, 'path');
  const li = column(header.fields, 'label');
  const width = header.fields.length;
  let found = false;
  const out: string[][] = [header.fields];
  for (const r of rows) {
    if (notePathKey((r.fields[pi] ?? '').trim()) !== key) {
      out.push(r.fields);
      continue;
    }
    if (label === undefined || found) continue;
    found = true;
    const fields = [...r.fields];
    while (fields.length < width) fields.push('');
    fields[li] = label;
    out.push(fields);
  }
  if (!found && label !== undefined) {
    const fields = new Array<string>(width).fill('');
    fields[pi] = key;
    fields[li] = label;
    out.push(fields);
  }
  return formatCsv(out);
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function setJsonlLabel(text: string, key: string, label: string | undefined): string {
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  let found = false;
  const out: string[] = [];
  for (const line of lines) {
    const o = parseObject(line);
    if (!o || typeof o['path'] !== 'string' || notePathKey(o['path'].trim()) !== key) {
      out.push(line);
      continue;
    }
    if (label === undefined || found) continue;
    found = true;
    out.push(JSON.stringify({ ...o, label }));
  }
  if (!found && label !== undefined) out.push(JSON.stringify({ path: key, label }));
  return out.map((l) => l + '\n').join('');
}
