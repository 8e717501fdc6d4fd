import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatCsvLabels, parseCsvLabels } from '../../../src/engine/data/csvLabels';
import { readDataset } from '../../../src/engine/data/read';
import { formatCsv, parseCsv } from '../../../src/engine/data/rfc4180';
import type { DatasetProblem } from '../../../src/engine/data/types';

test('RFC 4180: commas, doubled quotes and line breaks inside quotes; CRLF or LF; records know their first line', () => {
  const { records, issues } = parseCsv('text,label\r\n"Pain, left arm",a\r\n"He said ""no""\r\nthen left",b\n\nplain,c');
  assert.deepEqual(issues, []);
  assert.deepEqual(records, [
    { fields: ['text', 'label'], line: 1 },
    { fields: ['Pain, left arm', 'a'], line: 2 },
    { fields: ['He said "no"\r\nthen left', 'b'], line: 3 },
    { fields: ['plain', 'c'], line: 6 },
  ]);
});

test('RFC 4180: malformed quoting is reported by line; an unclosed quote loses only its record', () => {
  const { records, issues } = parseCsv('a,b\nx"y,1\n"q"z,2\n"never closed,3\nmore\n');
  assert.deepEqual(records.map((r) => r.fields), [['a', 'b'], ['x"y', '1'], ['qz', '2']]);
  assert.deepEqual(issues, [
    { line: 2, message: 'a quote inside an unquoted field: read literally' },
    { line: 3, message: 'characters after a closing quote: read as part of the field' },
    { line: 4, message: 'a quoted field is never closed: the record is left out' },
  ]);
});

test('formatCsv quotes what needs quoting, and parseCsv reads it back unchanged', () => {
  const rows = [['text', 'label'], ['a, "b"\nc', 'x'], [' padded ', 'y'], ['plain', 'z,z'], ['', 'e']];
  assert.deepEqual(parseCsv(formatCsv(rows)).records.map((r) => r.fields), rows);
});

test('text,label CSV: columns in any order, extra columns ignored; short rows, empty texts and labels reported', () => {
  const problems: DatasetProblem[] = [];
  const docs = parseCsvLabels('id,Label,TEXT\n1,discharge,"Admitted for CHF,\nimproved"\n2,,no label here\n3,radiology\n4,x,   \n5,nursing,Vitals stable\n', 'n.csv', problems);
  assert.deepEqual(docs.map((d) => [d.id, d.label, d.text]), [['n.csv:2', 'discharge', 'Admitted for CHF,\nimproved'], ['n.csv:7', 'nursing', 'Vitals stable']]);
  assert.deepEqual(problems.map((p) => [p.line, p.message]), [
    [4, 'no label: left out'],
    [5, '2 fields where the header has 3: left out'],
    [6, 'the text is empty: left out'],
  ]);
  const none: DatasetProblem[] = [];
  assert.deepEqual(parseCsvLabels('note,class\na,b\n', 'x.csv', none), []);
  assert.match(none[0]!.message, /header with text and label columns/);
});

test('writing text,label CSV leaves unlabelled documents out (reported) and reads back the same', () => {
  const problems: DatasetProblem[] = [];
  const csv = formatCsvLabels([{ id: 'a', text: 'He said "no", twice\nthen left', label: 'ama' }, { id: 'b', text: 'x' }], problems);
  assert.equal(problems.length, 1);
  assert.deepEqual(parseCsvLabels(csv, 'r.csv', []).map((d) => [d.text, d.label]), [['He said "no", twice\nthen left', 'ama']]);
});

test('readDataset: a .csv with text,label is csv-labels; with path,label it lists notes in its folder; any other header is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-csv-'));
  writeFileSync(join(dir, 'notes.csv'), 'text,label\nfever,sick\n');
  writeFileSync(join(dir, 'a.txt'), 'Chest pain.');
  writeFileSync(join(dir, 'a.ann'), 'T1\tProblem 0 10\tChest pain\n');
  writeFileSync(join(dir, 'b.txt'), 'Normal study.');
  writeFileSync(join(dir, 'list.csv'), 'path,label\na.txt,cardiology\nb.txt,normal\n');
  writeFileSync(join(dir, 'other.csv'), 'mrn,date\n1,2\n');
  const a = await readDataset([join(dir, 'notes.csv')]);
  assert.deepEqual(a.documents.map((d) => [d.text, d.label]), [['fever', 'sick']]);
  assert.deepEqual(a.sources!.map((s) => [s.format, s.detectedBy]), [['csv-labels', 'extension']]);
  const b = await readDataset([join(dir, 'list.csv')]);
  assert.deepEqual(b.documents.map((d) => [d.id, d.label, d.spans?.length ?? null]), [['a.txt', 'cardiology', 1], ['b.txt', 'normal', null]]);
  assert.deepEqual(b.formats, ['brat']);
  await assert.rejects(readDataset([join(dir, 'other.csv')]), /other\.csv: not a dataset format cmb can read/);
});
