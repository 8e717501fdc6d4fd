/**
 * Document labels in CSV: a header row naming a `text` and a `label` column
 * (any order, other columns ignored), one note per record; RFC 4180 quoting,
 * so notes may hold commas, quotes and line breaks. A CSV whose header names
 * `path` and `label` instead is a labels file for a folder of notes
 * (labelsFile.ts).
 */
import { formatCsv, parseCsv } from './rfc4180';
import type { DatasetProblem, LabelledDocument } from './types';
import { isLabelsHeader } from './labelsFile';

export type CsvKind = 'text-label' | 'path-label';

const column = (fields: readonly string[], name: string) => fields.findIndex((f) => f.trim().toLowerCase() === name);

/** What the header row says the CSV holds, from the first line(s) of the file. */
export function csvKind(headerFields: readonly string[]): CsvKind | undefined {
  if (column(headerFields, 'text') >= 0 && column(headerFields, 'label') >= 0) return 'text-label';
  if (isLabelsHeader(headerFields)) return 'path-label';
  return undefined;
}

export function parseCsvLabels(text: string, name: string, problems: DatasetProblem[]): LabelledDocument[] {
  const { records, issues } = parseCsv(text);
  for (const i of issues) problems.push({ doc: `${name}:${i.line}`, file: name, line: i.line, message: i.message });
  const [header, ...body] = records;
  if (!header || csvKind(header.fields) !== 'text-label') {
    problems.push({ doc: name, file: name, line: 1, message: 'the first row must be a header with text and label columns: the file is left out' });
    return [];
  }
  const ti = column(header.fields, 'text');
  const li = column(header.fields, 'label');
  const docs: LabelledDocument[] = [];
  for (const r of body) {
    const id = `${name}:${r.line}`;
    const at = { doc: id, file: name, line: r.line };
    if (r.fields.length !== header.fields.length) {
      problems.push({ ...at, message: `${r.fields.length} fields where the header has ${header.fields.length}: left out` });
      continue;
    }
    const t = r.fields[ti]!;
    const label = r.fields[li]!.trim();
    if (t.trim() === '') {
      problems.push({ ...at, message: 'the text is empty: left out' });
      continue;
    }
    if (label === '') {
      problems.push({ ...at, message: 'no label: left out' });
      continue;
    }
    docs.push({ id, text: t, label });
  }
  return docs;
}

/** `text,label` with a header; documents without a label are left out (reported once). */
export function formatCsvLabels(docs: readonly LabelledDocument[], problems: DatasetProblem[]): string {
  const labelled = docs.filter((d) => d.label !== undefined);
  const unlabelled = docs.filter((d) => d.label === undefined);
  if (unlabelled.length) problems.push({ doc: unlabelled[0]!.id, message: `${unlabelled.length} document(s) have no document label: left out of the label file` });
  const withSpans = labelled.filter((d) => d.spans?.length);
  if (withSpans.length) problems.push({ doc: withSpans[0]!.id, message: `a label file holds no spans: the spans of ${withSpans.length} document(s) are not written` });
  return formatCsv([['text', 'label'], ...labelled.map((d) => [d.text, d.label!])]);
}
