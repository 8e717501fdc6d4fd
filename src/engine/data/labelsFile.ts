/**
 * Document labels of a folder of notes: `labels.csv` (or `labels.jsonl`) at the
 * dataset root, one row per note, keyed by the note's path relative to the
 * root with forward slashes:
 *
 *     path,label
 *     notes/0001.txt,discharge
 *
 * or `{"path": "notes/0001.txt", "label": "discharge"}` per line. The labelling
 * feature writes this file; readers take a note's label from it, and a note
 * listed here is part of the dataset even without a `.ann` beside it.
 */
import * as path from 'node:path';
import { parseCsv, formatCsv } from './rfc4180';
import type { DatasetProblem } from './types';

export const LABELS_CSV = 'labels.csv';
export const LABELS_JSONL = 'labels.jsonl';

export interface NoteLabel {
  label: string;
  line: number;
}

/** A note path as the labels file keys it: relative, forward slashes, inside the root; undefined otherwise. */
export function notePathKey(p: string): string | undefined {
  const posix = p.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (posix === '' || posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) return undefined;
  const norm = path.posix.normalize(posix);
  if (norm === '..' || norm.startsWith('../')) return undefined;
  return norm;
}

function headerIndex(fields: readonly string[], name: string): number {
  return fields.findIndex((f) => f.trim().toLowerCase() === name);
}

/** Is this CSV header the labels file's (`path` and `label` columns)? */
export function isLabelsHeader(fields: readonly string[]): boolean {
  return headerIndex(fields, 'path') >= 0 && headerIndex(fields, 'label') >= 0;
}

/**
 * Reads a labels file (`name` is how problems name it). Rows with no path, a
 * path outside the root, no label, or a path listed twice are reported; the
 * first row of a path wins.
 */
export function parseLabelsFile(text: string, name: string, kind: 'csv' | 'jsonl', problems: DatasetProblem[]): Map<string, NoteLabel> {
  const rows: Array<{ path: unknown; label: unknown; line: number }> = [];
  if (kind === 'csv') {
    const { records, issues } = parseCsv(text);
    for (const i of issues) problems.push({ doc: name, file: name, line: i.line, message: i.message });
    const [header, ...body] = records;
    if (!header || !isLabelsHeader(header.fields)) {
      problems.push({ doc: name, file: name, line: 1, message: 'the first row must be the header path,label: the file is left out' });
      return new Map();
    }
    const pi = headerIndex(header.fields, 'path');
    const li = headerIndex(header.fields, 'label');
    for (const r of body) rows.push({ path: r.fields[pi], label: r.fields[li], line: r.line });
  } else {
    text.split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        const v = JSON.parse(l) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          const o = v as Record<string, unknown>;
          rows.push({ path: o['path'], label: o['label'], line: i + 1 });
          return;
        }
      } catch {
        // reported below
      }
      problems.push({ doc: name, file: name, line: i + 1, message: 'not a JSON object {"path","label"}: line left out' });
    });
  }
  const labels = new Map<string, NoteLabel>();
  for (const r of rows) {
    const key = typeof r.path === 'string' ? notePathKey(r.path.trim()) : undefined;
    if (key === undefined) {
      problems.push({ doc: name, file: name, line: r.line, message: 'the path is missing or points outside the dataset folder: row left out' });
      continue;
    }
    if (typeof r.label !== 'string' || r.label.trim() === '') {
      problems.push({ doc: key, file: name, line: r.line, message: 'no label: row left out' });
      continue;
    }
    const earlier = labels.get(key);
    if (earlier) {
      problems.push({ doc: key, file: name, line: r.line, message: `the note is listed twice (first on line ${earlier.line}): this row is left out` });
      continue;
    }
    labels.set(key, { label: r.label.trim(), line: r.line });
  }
  return labels;
}

export function formatLabelsCsv(rows: ReadonlyArray<{ path: string; label: string }>): string {
  return formatCsv([['path', 'label'], ...rows.map((r) => [r.path, r.label])]);
}
