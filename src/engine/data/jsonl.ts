/**
 * JSON lines (and JSON arrays of the same records), in the shapes annotation
 * tools export:
 *
 * - spans, Prodigy: `{"text", "spans": [{"start", "end", "label"}], "tokens"?}`;
 *   records with `"answer": "reject"` or `"ignore"` are left out (reported);
 * - spans, doccano: `{"text", "label": [[start, end, "LABEL"]]}` and
 *   `{"text", "entities": [{"start_offset", "end_offset", "label"}]}` (or
 *   `[start, end, "LABEL"]` items, spaCy's shape);
 * - document labels: `{"text", "label": "X"}` (a number is read as its
 *   string), doccano's `"label": ["X"]`, `"labels": ["X"]`, Prodigy's
 *   `"accept": ["X"]`. More than one label is multi-label classification,
 *   which is not supported: the label is left out and reported (and so is the
 *   record when it carries no spans either).
 *
 * Offsets count Unicode code points, as the Python tools that write these
 * files count them (the same as UTF-16 unless the text has characters outside
 * the Basic Multilingual Plane, such as emoji); `offsets: 'utf16'` reads files
 * written by JavaScript tools. Writers write code points.
 */
import { codePointToUtf16, utf16ToCodePoint } from './codePoints';
import { checkSpans, type CandidateSpan } from './spanChecks';
import type { DatasetProblem, LabelledDocument, SourceWord } from './types';
import { splitWords } from './words';

export type OffsetUnit = 'codepoints' | 'utf16';

export interface JsonRecords {
  documents: LabelledDocument[];
  /** some record carried spans (the file is a span dataset, not only document labels) */
  hasSpans: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function spanCandidates(v: Record<string, unknown>): CandidateSpan[] | undefined {
  const fromItem = (item: unknown): CandidateSpan => {
    if (Array.isArray(item)) return { start: item[0], end: item[1], label: item[2] };
    if (isObject(item)) return { start: item['start'] ?? item['start_offset'], end: item['end'] ?? item['end_offset'], label: item['label'] };
    return { start: undefined, end: undefined, label: undefined };
  };
  if (Array.isArray(v['spans'])) return v['spans'].map(fromItem);
  if (Array.isArray(v['entities'])) return v['entities'].map(fromItem);
  const label = v['label'];
  if (Array.isArray(label) && label.length && label.every((x) => Array.isArray(x))) return label.map(fromItem);
  return undefined;
}

/** The record's document labels, or a reason they cannot be read. */
function documentLabels(v: Record<string, unknown>): string[] | 'unreadable' {
  for (const key of ['label', 'labels', 'accept']) {
    const x = v[key];
    if (x === undefined || x === null) continue;
    if (typeof x === 'string') return x.trim() ? [x.trim()] : [];
    if (typeof x === 'number' && Number.isFinite(x)) return [String(x)];
    if (Array.isArray(x)) {
      if (x.length && x.every((e) => Array.isArray(e))) continue; // doccano spans, read by spanCandidates
      if (x.every((e) => typeof e === 'string' || typeof e === 'number')) return x.map((e) => String(e).trim()).filter(Boolean);
      return 'unreadable';
    }
    if (key !== 'accept') return 'unreadable';
  }
  return [];
}

function recordToDocument(
  v: unknown,
  id: string,
  where: { file: string; line?: number },
  unit: OffsetUnit,
  problems: DatasetProblem[],
): { doc?: LabelledDocument; spans: boolean } {
  const at = { doc: id, file: where.file, ...(where.line !== undefined ? { line: where.line } : {}) };
  if (!isObject(v)) {
    problems.push({ ...at, message: 'not a JSON object: left out' });
    return { spans: false };
  }
  const text = v['text'];
  if (typeof text !== 'string') {
    problems.push({ ...at, message: '"text" is missing or not a string: left out' });
    return { spans: false };
  }
  if (text.trim() === '') {
    problems.push({ ...at, message: 'the text is empty: left out' });
    return { spans: false };
  }
  const candidates = spanCandidates(v);
  if (v['answer'] === 'reject' || v['answer'] === 'ignore') {
    problems.push({ ...at, message: `marked "${v['answer']}" in Prodigy: left out` });
    return { spans: candidates !== undefined };
  }
  const toUtf16 = unit === 'codepoints' ? codePointToUtf16(text) : undefined;
  const doc: LabelledDocument = { id, text };
  if (candidates) doc.spans = checkSpans(candidates, { doc: id, text, file: where.file, line: where.line, toUtf16 }, problems);
  const labels = documentLabels(v);
  if (labels === 'unreadable') {
    problems.push({ ...at, message: 'the label is neither a string nor a list of labels: label left out' });
  } else if (labels.length > 1) {
    problems.push({ ...at, message: `${labels.length} labels: multi-label notes are not supported, the label is left out` + (candidates ? '' : ' and so is the note') });
    if (!candidates) return { spans: false };
  } else if (labels.length === 1) doc.label = labels[0];
  if (Array.isArray(v['tokens'])) {
    const words: SourceWord[] = [];
    for (const t of v['tokens']) {
      const s = isObject(t) && typeof t['start'] === 'number' ? (toUtf16 ? toUtf16(t['start']) : t['start']) : undefined;
      const e = isObject(t) && typeof t['end'] === 'number' ? (toUtf16 ? toUtf16(t['end']) : t['end']) : undefined;
      if (s === undefined || e === undefined || !Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > text.length || e < s) {
        problems.push({ ...at, message: '"tokens" have unusable start/end offsets: the tokens are ignored (spans are kept)' });
        words.length = 0;
        break;
      }
      words.push({ start: s, end: e });
    }
    if (words.length) doc.words = words;
  }
  return { doc, spans: candidates !== undefined };
}

export function parseJsonl(text: string, name: string, unit: OffsetUnit, problems: DatasetProblem[]): JsonRecords {
  const documents: LabelledDocument[] = [];
  let hasSpans = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const id = `${name}:${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      problems.push({ doc: id, file: name, line: i + 1, message: 'not valid JSON: line left out' });
      return;
    }
    const r = recordToDocument(v, id, { file: name, line: i + 1 }, unit, problems);
    hasSpans ||= r.spans;
    if (r.doc) documents.push(r.doc);
  });
  return { documents, hasSpans };
}

/** A JSON array of the same records (doccano's and other tools' .json exports); ids number the records. */
export function parseJsonArray(text: string, name: string, unit: OffsetUnit, problems: DatasetProblem[]): JsonRecords {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    problems.push({ doc: name, file: name, message: 'not valid JSON: file left out' });
    return { documents: [], hasSpans: false };
  }
  if (!Array.isArray(v)) {
    problems.push({ doc: name, file: name, message: 'not a JSON array of records: file left out' });
    return { documents: [], hasSpans: false };
  }
  const documents: LabelledDocument[] = [];
  let hasSpans = false;
  v.forEach((item, i) => {
    const r = recordToDocument(item, `${name}#${i + 1}`, { file: name }, unit, problems);
    hasSpans ||= r.spans;
    if (r.doc) documents.push(r.doc);
  });
  return { documents, hasSpans };
}

function sameWords(a: readonly SourceWord[], b: readonly SourceWord[]): boolean {
  return a.length === b.length && a.every((w, i) => w.start === b[i]!.start && w.end === b[i]!.end);
}

/**
 * One record per document, offsets in code points. `spans`: text, spans,
 * label when present, and Prodigy-style tokens when the document's words are
 * not what splitWords would give (so CoNLL tokens survive a round trip).
 * `labels`: text and label; documents without a label are left out.
 */
export function formatJsonl(docs: readonly LabelledDocument[], kind: 'spans' | 'labels', problems: DatasetProblem[]): string {
  let out = '';
  const unlabelled: string[] = [];
  const withSpans: string[] = [];
  for (const d of docs) {
    const cp = utf16ToCodePoint(d.text);
    const off = (n: number) => cp(n) ?? n;
    if (kind === 'labels') {
      if (d.label === undefined) {
        unlabelled.push(d.id);
        continue;
      }
      if (d.spans?.length) withSpans.push(d.id);
      out += JSON.stringify({ text: d.text, label: d.label }) + '\n';
      continue;
    }
    const record: Record<string, unknown> = { text: d.text, spans: (d.spans ?? []).map((s) => ({ start: off(s.start), end: off(s.end), label: s.label })) };
    if (d.label !== undefined) record['label'] = d.label;
    if (d.words?.length && !sameWords(d.words, splitWords(d.text))) {
      record['tokens'] = d.words.map((w, id) => ({ text: d.text.slice(w.start, w.end), start: off(w.start), end: off(w.end), id }));
    }
    out += JSON.stringify(record) + '\n';
  }
  if (unlabelled.length) problems.push({ doc: unlabelled[0]!, message: `${unlabelled.length} document(s) have no document label: left out of the label file` });
  if (withSpans.length) problems.push({ doc: withSpans[0]!, message: `a label file holds no spans: the spans of ${withSpans.length} document(s) are not written` });
  return out;
}
