/**
 * Writes a dataset in any of the formats it can be read from. Rendering is
 * separate from writing, so that a caller can look at what a format cannot
 * hold (document labels in CoNLL, spans in a label file, a span boundary
 * inside a word) before anything touches the disk. Writing is all or nothing:
 * the output is built beside the target and renamed into place, files are
 * readable by the user only, and an existing target is never replaced unless
 * asked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { bratLabel, formatAnn } from './brat';
import { formatConll } from './conll';
import { formatCsvLabels } from './csvLabels';
import { formatJsonl } from './jsonl';
import { formatLabelsCsv, LABELS_CSV } from './labelsFile';
import type { Dataset, DatasetFormat, DatasetProblem, LabelledDocument } from './types';

export interface RenderedDataset {
  /** '' for the single file of a one-file format; relative paths (forward slashes) inside the folder for brat */
  files: Array<{ path: string; content: string }>;
  /** what the format could not hold, and what was changed to fit it */
  problems: DatasetProblem[];
  /** documents in the output */
  documents: number;
}

/**
 * A brat file name for a document id: `notes/a.txt` stays; `train.tsv:12`
 * (file and line) becomes `train-12.txt`; other characters that file systems
 * or brat dislike become `_`. Folders in the id are kept, `..` never.
 */
export function bratFileName(id: string): string {
  const lined = /^(.*):(\d+)(~\d+)?$/.exec(id);
  let base: string;
  if (lined) base = `${lined[1]!.replace(/\.[^./\\]*$/, '')}-${lined[2]}${lined[3] ? lined[3].replace('~', '-') : ''}`;
  else base = id.replace(/\.txt$/i, '');
  const segments = base
    .split(/[\\/]+/)
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map((s) => s.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_'));
  return (segments.length ? segments.join('/') : 'note') + '.txt';
}

function renderBrat(docs: readonly LabelledDocument[], problems: DatasetProblem[]): RenderedDataset {
  const files: RenderedDataset['files'] = [];
  const taken = new Set<string>();
  const labelRows: Array<{ path: string; label: string }> = [];
  const types = new Set<string>();
  const renamed = new Set<string>();
  for (const d of docs) {
    let name = bratFileName(d.id);
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = bratFileName(d.id).replace(/\.txt$/, `-${k}.txt`);
    taken.add(name.toLowerCase());
    const spans = d.spans ?? [];
    for (const s of spans) {
      const t = bratLabel(s.label);
      types.add(t);
      if (t !== s.label && !renamed.has(s.label)) {
        renamed.add(s.label);
        problems.push({ doc: d.id, start: s.start, end: s.end, message: `brat labels cannot hold spaces: the label ${JSON.stringify(s.label)} is written as ${t}` });
      }
    }
    files.push({ path: name, content: d.text });
    files.push({ path: name.replace(/\.txt$/, '.ann'), content: formatAnn(d.text, spans) });
    if (d.label !== undefined) labelRows.push({ path: name, label: d.label });
  }
  if (labelRows.length) files.push({ path: LABELS_CSV, content: formatLabelsCsv(labelRows) });
  // brat itself wants its entity types declared; the other sections may stay empty
  files.push({ path: 'annotation.conf', content: `[entities]\n${[...types].sort().map((t) => t + '\n').join('')}\n[relations]\n\n[events]\n\n[attributes]\n` });
  return { files, problems, documents: docs.length };
}

/** The files `format` makes of `documents`, and what it could not hold. */
export function renderDataset(documents: readonly LabelledDocument[], format: DatasetFormat): RenderedDataset {
  const problems: DatasetProblem[] = [];
  const one = (content: string, written: number): RenderedDataset => ({ files: [{ path: '', content }], problems, documents: written });
  switch (format) {
    case 'brat':
      return renderBrat(documents, problems);
    case 'conll': {
      const { text, documents: written } = formatConll(documents, problems);
      return one(text, written);
    }
    case 'jsonl-spans':
      return one(formatJsonl(documents, 'spans', problems), documents.length);
    case 'jsonl-labels':
      return one(formatJsonl(documents, 'labels', problems), documents.filter((d) => d.label !== undefined).length);
    case 'csv-labels':
      return one(formatCsvLabels(documents, problems), documents.filter((d) => d.label !== undefined).length);
  }
}

function isEmptyDir(p: string): boolean {
  return fs.readdirSync(p).length === 0;
}

/**
 * Puts rendered files at `target` (a file, or a folder for brat). Refuses an
 * existing target (a folder only when it is not empty) unless `overwrite`.
 */
export function commitRendered(rendered: RenderedDataset, target: string, options: { overwrite?: boolean } = {}): void {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  const folder = rendered.files.some((f) => f.path !== '');
  if (st && !options.overwrite && !(folder && st.isDirectory() && isEmptyDir(target))) {
    throw new EngineError('bad-input', `${target} already exists: choose another name, or overwrite it on purpose (--force).`);
  }
  if (st && folder !== st.isDirectory()) {
    throw new EngineError('bad-input', `${target} is a ${st.isDirectory() ? 'folder' : 'file'}; this format writes a ${folder ? 'folder' : 'file'}.`);
  }
  const parent = path.dirname(path.resolve(target));
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 });
  const tmp = path.join(parent, `.${path.basename(target)}.partial-${process.pid}-${Date.now()}`);
  try {
    if (!folder) {
      fs.writeFileSync(tmp, rendered.files[0]!.content, { mode: 0o600 });
    } else {
      fs.mkdirSync(tmp, { mode: 0o700 });
      for (const f of rendered.files) {
        const out = path.join(tmp, ...f.path.split('/'));
        fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
        fs.writeFileSync(out, f.content, { mode: 0o600 });
      }
    }
    if (st) {
      const aside = `${tmp}.old`;
      fs.renameSync(target, aside);
      fs.renameSync(tmp, target);
      fs.rmSync(aside, { recursive: true, force: true });
    } else fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Writes `dataset` to `target` in `format` (brat: a folder of .txt/.ann with
 * labels.csv; the others: one file). Returns what the format could not hold.
 */
export async function writeDataset(
  dataset: Dataset | readonly LabelledDocument[],
  target: string,
  format: DatasetFormat,
  options: { overwrite?: boolean } = {},
): Promise<{ problems: DatasetProblem[]; documents: number }> {
  const docs = Array.isArray(dataset) ? (dataset as readonly LabelledDocument[]) : (dataset as Dataset).documents;
  const rendered = renderDataset(docs, format);
  commitRendered(rendered, target, options);
  return { problems: rendered.problems, documents: rendered.documents };
}
