/**
 * Reads labelled datasets from the files users already have: CoNLL/IOB, brat
 * folders, JSONL (spans or document labels), CSV document labels. The format
 * of each file is found by its extension or content (detect.ts) and recorded
 * in `sources`; a file given by name whose format cannot be told is refused
 * with one line. A folder is read whole: its brat notes (`.txt` with `.ann`
 * beside, or listed in the root's labels.csv), and every file of a known
 * format inside it.
 *
 * Nothing is dropped silently: unreadable files, malformed lines, bad spans
 * and duplicate notes each become a DatasetProblem naming the document and
 * the line or offsets (never quoting note text). See docs/datasets.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { parseAnn } from './brat';
import { parseConll } from './conll';
import { csvKind, parseCsvLabels } from './csvLabels';
import { detectKind, type DetectedKind } from './detect';
import { parseJsonArray, parseJsonl, type OffsetUnit } from './jsonl';
import { LABELS_CSV, LABELS_JSONL, parseLabelsFile, type NoteLabel } from './labelsFile';
import { parseCsv } from './rfc4180';
import { DEFAULT_MAX_FILE_BYTES, readHead, readSourceText } from './sourceFile';
import { checkSpans } from './spanChecks';
import type { Dataset, DatasetFormat, DatasetProblem, LabelledDocument } from './types';

export interface ReadDatasetOptions {
  /** how JSONL offsets count: Unicode code points (Python tools; the default) or UTF-16 units (JavaScript tools) */
  offsets?: OffsetUnit;
  /** files larger than this are left out with a problem (default 256 MiB) */
  maxFileBytes?: number;
}

/** brat's configuration files, which are part of a brat folder but hold no notes. */
const BRAT_CONFIG = new Set(['annotation.conf', 'visual.conf', 'tools.conf', 'kb_shortcuts.conf']);

const natural = new Intl.Collator('en', { numeric: true }).compare;

const unknownFormat = (p: string) =>
  new EngineError('bad-input', `${p}: not a dataset format cmb can read (CoNLL .conll/.tsv, brat .txt with .ann, JSONL .jsonl, CSV .csv with text,label columns).`);

interface Reading {
  dataset: Dataset;
  options: Required<ReadDatasetOptions>;
  /** ann/other-kind lines ignored, summed over the read */
  ignoredAnnLines: number;
  /** real paths of the files read so far, so that a file reached twice (given twice, inside a folder given too, a link) is read once */
  seen: Set<string>;
}

/** False (and reported) when the file was read already. */
function firstTime(r: Reading, file: string, name: string): boolean {
  const real = fs.realpathSync(file);
  if (r.seen.has(real)) {
    r.dataset.problems.push({ doc: name, file: name, message: 'reached twice (given twice, through a link, or inside a folder also given): read once' });
    return false;
  }
  r.seen.add(real);
  return true;
}

function addSource(r: Reading, p: string, format: DatasetFormat, detectedBy: DetectedKind['detectedBy']): void {
  r.dataset.formats.push(format);
  r.dataset.sources!.push({ path: p, format, detectedBy });
}

/** Stems of the .ann files in a folder listing, to pair .txt files with them. */
const stem = (f: string) => f.slice(0, f.length - path.extname(f).length);

/**
 * One brat note: `txt` and, when it exists, `ann` beside it. `id` names the
 * note (its path relative to the dataset root); a note whose .ann cannot be
 * read is left out, since its spans are unknown.
 */
async function readBratNote(r: Reading, txt: string, ann: string | undefined, id: string, label: NoteLabel | undefined): Promise<LabelledDocument | undefined> {
  const problems = r.dataset.problems;
  if (!firstTime(r, txt, id)) return undefined;
  const note = await readSourceText(txt, id, r.options.maxFileBytes, problems);
  if (!note) return undefined;
  if (note.text.trim() === '') {
    problems.push({ doc: id, message: 'the note is empty: left out' });
    return undefined;
  }
  const doc: LabelledDocument = { id, text: note.text };
  if (ann) {
    const annId = stem(id) + '.ann';
    const a = await readSourceText(ann, annId, r.options.maxFileBytes, problems);
    if (!a) return undefined;
    const parsed = parseAnn(a.text, note.text, { doc: id, file: annId, hadBom: note.hadBom }, problems);
    r.ignoredAnnLines += parsed.ignored;
    doc.spans = checkSpans(parsed.spans, { doc: id, text: note.text, file: annId }, problems);
  }
  if (label) doc.label = label.label;
  return doc;
}

/** The notes a labels file lists, relative to `dir`; `prefix` makes their ids relative to the dataset root. */
async function readListedNotes(r: Reading, dir: string, labels: Map<string, NoteLabel>, labelsName: string, prefix: string, skip: Set<string>): Promise<void> {
  for (const [key, label] of labels) {
    if (skip.has(key)) continue;
    const txt = path.join(dir, key);
    if (!fs.existsSync(txt) || !fs.statSync(txt).isFile()) {
      r.dataset.problems.push({ doc: prefix + key, file: labelsName, line: label.line, message: 'no note at this path: row left out' });
      continue;
    }
    const ann = stem(txt) + '.ann';
    const doc = await readBratNote(r, txt, fs.existsSync(ann) ? ann : undefined, prefix + key, label);
    if (doc) r.dataset.documents.push(doc);
  }
}

/** Reads one file that is not part of a brat folder's notes. Returns false when its format is unknown. */
async function readFile(r: Reading, abs: string, shown: string, name: string, contentSniffing: boolean): Promise<boolean> {
  const ext = path.extname(abs).toLowerCase();
  const annBeside = ext === '.txt' && fs.existsSync(stem(abs) + '.ann');
  const detected = detectKind(abs, await readHead(abs), annBeside, contentSniffing);
  if (!detected) return false;
  const problems = r.dataset.problems;
  const { maxFileBytes } = r.options;
  if (detected.kind === 'brat') {
    const txt = ext === '.ann' ? stem(abs) + '.txt' : abs;
    if (!fs.existsSync(txt)) {
      problems.push({ doc: name, file: name, message: 'no .txt note beside this .ann: left out' });
      return true;
    }
    const doc = await readBratNote(r, txt, stem(abs) + '.ann', stem(name) + '.txt', undefined);
    if (doc) r.dataset.documents.push(doc);
    addSource(r, shown, 'brat', detected.detectedBy);
    return true;
  }
  if (!firstTime(r, abs, name)) return true;
  const source = await readSourceText(abs, name, maxFileBytes, problems);
  if (!source) return true;
  if (detected.kind === 'conll') {
    r.dataset.documents.push(...parseConll(source.text, name, problems));
    addSource(r, shown, 'conll', detected.detectedBy);
  } else if (detected.kind === 'jsonl' || detected.kind === 'json') {
    const parsed = (detected.kind === 'jsonl' ? parseJsonl : parseJsonArray)(source.text, name, r.options.offsets, problems);
    r.dataset.documents.push(...parsed.documents);
    addSource(r, shown, parsed.hasSpans ? 'jsonl-spans' : 'jsonl-labels', detected.detectedBy);
  } else {
    const header = parseCsv(source.text.slice(0, source.text.search(/\r?\n|$/))).records[0];
    const kind = header && csvKind(header.fields);
    if (kind === 'path-label') {
      const labels = parseLabelsFile(source.text, name, 'csv', problems);
      const dirOfName = path.posix.dirname(name);
      await readListedNotes(r, path.dirname(abs), labels, name, dirOfName === '.' ? '' : dirOfName + '/', new Set());
      addSource(r, shown, 'brat', 'content');
    } else if (kind === 'text-label') {
      r.dataset.documents.push(...parseCsvLabels(source.text, name, problems));
      addSource(r, shown, 'csv-labels', detected.detectedBy);
    } else {
      if (contentSniffing) return false;
      problems.push({ doc: name, file: name, line: 1, message: 'a CSV without a text,label (or path,label) header: left out' });
    }
  }
  return true;
}

/** Every file under `root` (relative, forward slashes), skipping hidden entries and symbolic links to folders. */
async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await fs.promises.readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, child)));
    else if (e.isFile() || (e.isSymbolicLink() && fs.statSync(path.join(root, child), { throwIfNoEntry: false })?.isFile())) out.push(child);
  }
  return out;
}

async function readFolder(r: Reading, root: string): Promise<void> {
  const problems = r.dataset.problems;
  const files = (await listFiles(root)).sort(natural);
  const present = new Set(files);
  const labels = new Map<string, NoteLabel>();
  for (const [name, kind] of [[LABELS_CSV, 'csv'], [LABELS_JSONL, 'jsonl']] as const) {
    if (!present.has(name)) continue;
    const source = await readSourceText(path.join(root, name), name, r.options.maxFileBytes, problems);
    if (!source) continue;
    for (const [key, label] of parseLabelsFile(source.text, name, kind, problems)) {
      if (labels.has(key)) problems.push({ doc: key, file: name, line: label.line, message: `the note is also listed in ${LABELS_CSV}: this row is left out` });
      else labels.set(key, label);
    }
  }
  const before = r.dataset.documents.length;
  const read = new Set<string>();
  let withoutAnn = 0;
  let unknown = 0;
  for (const f of files) {
    const ext = path.extname(f).toLowerCase();
    if (f === LABELS_CSV || f === LABELS_JSONL || BRAT_CONFIG.has(path.posix.basename(f))) continue;
    if (ext === '.ann') {
      if (!present.has(stem(f) + '.txt')) problems.push({ doc: f, file: f, message: 'no .txt note beside this .ann: left out' });
      continue;
    }
    if (ext === '.txt' && (present.has(stem(f) + '.ann') || labels.has(f))) {
      const ann = present.has(stem(f) + '.ann') ? path.join(root, stem(f) + '.ann') : undefined;
      const doc = await readBratNote(r, path.join(root, f), ann, f, labels.get(f));
      read.add(f);
      if (doc) r.dataset.documents.push(doc);
      continue;
    }
    const known = await readFile(r, path.join(root, f), path.join(root, f), f, false);
    if (!known) {
      if (ext === '.txt') withoutAnn++;
      else unknown++;
    }
  }
  await readListedNotes(r, root, labels, LABELS_CSV, '', read);
  if (withoutAnn) {
    problems.push({ doc: root, message: `${withoutAnn} .txt file(s) have no .ann beside them and are not in ${LABELS_CSV}: left out (an empty .ann marks a note with no entities)` });
  }
  if (unknown) problems.push({ doc: root, message: `${unknown} file(s) of other kinds left out (not CoNLL, brat, JSONL or CSV by their extension)` });
  if (read.size || labels.size) addSource(r, root, 'brat', 'extension');
  if (r.dataset.documents.length === before && !problems.some((p) => p.doc === root)) {
    problems.push({ doc: root, message: 'the folder holds no dataset files' });
  }
}

/** Same text twice is reported (it inflates test figures when the copies land in different splits); both are kept. */
function reportDuplicates(dataset: Dataset): void {
  const seen = new Map<string, LabelledDocument>();
  const labelsOf = (d: LabelledDocument) => JSON.stringify([d.label ?? null, (d.spans ?? []).map((s) => [s.start, s.end, s.label])]);
  for (const d of dataset.documents) {
    const first = seen.get(d.text);
    if (!first) {
      seen.set(d.text, d);
      continue;
    }
    const agree = labelsOf(first) === labelsOf(d);
    dataset.problems.push({ doc: d.id, message: `same text as ${first.id} (labels ${agree ? 'agree' : 'differ'}): both kept; copies in different splits inflate test figures` });
  }
}

/** Gives every document a distinct id (two sources with the same file name give the later ones a suffix). */
function distinctIds(dataset: Dataset): void {
  const used = new Set<string>();
  for (const d of dataset.documents) {
    let id = d.id;
    for (let k = 2; used.has(id); k++) id = `${d.id}~${k}`;
    used.add(id);
    d.id = id;
  }
}

export async function readDataset(paths: string[], options: ReadDatasetOptions = {}): Promise<Dataset> {
  const r: Reading = {
    dataset: { documents: [], problems: [], formats: [], sources: [] },
    options: { offsets: options.offsets ?? 'codepoints', maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES },
    ignoredAnnLines: 0,
    seen: new Set(),
  };
  for (const p of paths) {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) throw new EngineError('bad-input', `${p}: no such file or folder.`);
    if (st.isDirectory()) await readFolder(r, p);
    else if (!(await readFile(r, p, p, path.basename(p), true))) throw unknownFormat(p);
  }
  if (r.ignoredAnnLines) {
    r.dataset.problems.push({
      doc: paths.length === 1 ? paths[0]! : 'dataset',
      message: `${r.ignoredAnnLines} brat line(s) of other kinds (attributes, relations, events, normalizations, notes) ignored: only T spans are read`,
    });
  }
  distinctIds(r.dataset);
  reportDuplicates(r.dataset);
  return r.dataset;
}

/** One line for a problem: where (file:line, document, offsets), then what. Never note text. */
export function describeProblem(p: DatasetProblem): string {
  const file = p.file ?? p.doc;
  const where = `${file}${p.line !== undefined ? `:${p.line}` : ''}`;
  const doc = p.doc !== file && p.doc !== where ? ` ${p.doc}` : '';
  const offsets = p.start !== undefined ? ` [${p.start},${p.end})` : '';
  return `${where}:${doc}${offsets} ${p.message}`;
}
