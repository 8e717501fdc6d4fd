import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readDataset } from '../../../src/engine/data/read';
import type { LabelledDocument } from '../../../src/engine/data/types';
import { bratFileName, renderDataset, writeDataset } from '../../../src/engine/data/write';

const tmp = () => mkdtempSync(join(tmpdir(), 'cmb-write-'));
/** what every format holds of a span document: text and spans */
const spanView = (docs: readonly LabelledDocument[]) => docs.map((d) => [d.text, (d.spans ?? []).map((s) => [s.start, s.end, s.label])]);

const CONLL = [
  '-DOCSTART- -X- -X- O',
  '',
  'Familial\tB-Disease',
  'breast\tI-Disease',
  'cancer\tI-Disease',
  'in\tO',
  'BRCA1\tB-Gene',
  'carriers\tO',
  '.\tO',
  '',
  'Ca2+\tB-Lab', // not what the default word split would give: kept through JSONL by its tokens
  'low\tO',
  '',
  '-DOCSTART- -X- -X- O',
  '',
  'Ataxia\tB-Disease',
  '-\tI-Disease',
  'telangiectasia\tI-Disease',
  '',
  '',
].join('\n');

test('CoNLL -> JSONL -> CoNLL gives the same file, tokens included', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.conll'), CONLL);
  const a = await readDataset([join(dir, 'in.conll')]);
  assert.deepEqual(a.problems, []);
  await writeDataset(a, join(dir, 'mid.jsonl'), 'jsonl-spans');
  const b = await readDataset([join(dir, 'mid.jsonl')]);
  const w = await writeDataset(b, join(dir, 'out.conll'), 'conll');
  assert.deepEqual(w.problems, []);
  assert.equal(readFileSync(join(dir, 'out.conll'), 'utf8'), CONLL);
});

test('CoNLL -> JSONL -> brat -> CoNLL keeps text and spans; brat cannot hold tokens, so the default word split decides them (Ca2+ becomes Ca2 +)', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.conll'), CONLL);
  const a = await readDataset([join(dir, 'in.conll')]);
  await writeDataset(a, join(dir, 'mid.jsonl'), 'jsonl-spans');
  const b = await readDataset([join(dir, 'mid.jsonl')]);
  await writeDataset(b, join(dir, 'brat'), 'brat');
  const c = await readDataset([join(dir, 'brat')]);
  assert.deepEqual(c.problems, []);
  assert.deepEqual(spanView(c.documents), spanView(a.documents));
  const w = await writeDataset(c, join(dir, 'out.conll'), 'conll');
  assert.equal(readFileSync(join(dir, 'out.conll'), 'utf8'), CONLL.replace('Ca2+\tB-Lab', 'Ca2\tB-Lab\n+\tI-Lab'));
  assert.deepEqual(w.problems, []);
});

test('brat -> JSONL -> brat: emoji, line breaks inside spans, document labels; files as brat names them', async () => {
  const src = tmp();
  mkdirSync(join(src, 'notes'));
  writeFileSync(join(src, 'notes', 'a.txt'), '😀 Chest\npain, no fever.');
  writeFileSync(join(src, 'notes', 'a.ann'), 'T1\tProblem 2 12\tChest pain\nT2\tProblem 17 22\tfever\n');
  writeFileSync(join(src, 'b.txt'), 'Normal.');
  writeFileSync(join(src, 'b.ann'), '');
  writeFileSync(join(src, 'labels.csv'), 'path,label\nnotes/a.txt,er\nb.txt,clinic\n');
  const a = await readDataset([src]);
  assert.deepEqual(a.problems, []);
  const dir = tmp();
  await writeDataset(a, join(dir, 'mid.jsonl'), 'jsonl-spans');
  assert.match(readFileSync(join(dir, 'mid.jsonl'), 'utf8'), /"start":2,"end":12/);
  const b = await readDataset([join(dir, 'mid.jsonl')]);
  const back = join(dir, 'back');
  await writeDataset(a, back, 'brat');
  assert.equal(readFileSync(join(back, 'notes', 'a.ann'), 'utf8'), 'T1\tProblem 2 7;8 12\tChest pain\nT2\tProblem 17 22\tfever\n');
  assert.equal(readFileSync(join(back, 'labels.csv'), 'utf8'), 'path,label\nb.txt,clinic\nnotes/a.txt,er\n');
  assert.equal(readFileSync(join(back, 'annotation.conf'), 'utf8'), '[entities]\nProblem\n\n[relations]\n\n[events]\n\n[attributes]\n');
  const c = await readDataset([back]);
  assert.deepEqual(c.problems, []);
  await writeDataset(b, join(dir, 'fromJsonl'), 'brat');
  const d = await readDataset([join(dir, 'fromJsonl')]);
  assert.deepEqual(d.problems, []);
  for (const other of [b, c, d]) {
    assert.deepEqual(spanView(other.documents), spanView(a.documents));
    assert.deepEqual(other.documents.map((d) => d.label), ['clinic', 'er']);
  }
});

test('JSONL labels <-> CSV labels keep texts with commas, quotes and line breaks', async () => {
  const dir = tmp();
  const records = [
    { text: 'He said "no", twice.\nLeft AMA.', label: 'ama' },
    { text: '  leading spaces kept', label: 'other' },
    { text: 'Plain', label: '0' },
  ];
  writeFileSync(join(dir, 'in.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
  const a = await readDataset([join(dir, 'in.jsonl')]);
  await writeDataset(a, join(dir, 'mid.csv'), 'csv-labels');
  const b = await readDataset([join(dir, 'mid.csv')]);
  await writeDataset(b, join(dir, 'out.jsonl'), 'jsonl-labels');
  assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8'), records.map((r) => JSON.stringify(r) + '\n').join(''));
});

test('renderDataset reports what a format cannot hold before anything is written', () => {
  const docs: LabelledDocument[] = [{ id: 'x.jsonl:1', text: 'Chest pain', spans: [{ start: 0, end: 10, label: 'chief complaint' }], label: 'er' }];
  assert.deepEqual(renderDataset(docs, 'conll').problems.map((p) => p.message), ['CoNLL holds no document labels: the labels of 1 document(s) are not written']);
  assert.deepEqual(renderDataset(docs, 'csv-labels').problems.map((p) => p.message), ['a label file holds no spans: the spans of 1 document(s) are not written']);
  const brat = renderDataset(docs, 'brat');
  assert.match(brat.problems[0]!.message, /brat labels cannot hold spaces: the label "chief complaint" is written as chief_complaint/);
  assert.deepEqual(brat.files.map((f) => f.path), ['x-1.txt', 'x-1.ann', 'labels.csv', 'annotation.conf']);
});

test('brat file names: lines become suffixes, folders are kept, nothing escapes the output folder', () => {
  assert.equal(bratFileName('notes/a.txt'), 'notes/a.txt');
  assert.equal(bratFileName('train.tsv:12'), 'train-12.txt');
  assert.equal(bratFileName('train.tsv:12~2'), 'train-12-2.txt');
  assert.equal(bratFileName('../../etc/passwd'), 'etc/passwd.txt');
  assert.equal(bratFileName('/abs/x y?.txt'), 'abs/x_y_.txt');
  assert.equal(bratFileName('export.json#3'), 'export.json_3.txt');
  assert.equal(bratFileName('.hidden'), '_hidden.txt');
  const names = renderDataset([{ id: 'A.txt', text: 'a' }, { id: 'a.txt', text: 'b' }], 'brat').files.map((f) => f.path);
  assert.deepEqual(names.slice(0, 4), ['A.txt', 'A.ann', 'a-2.txt', 'a-2.ann'], 'distinct on case-insensitive file systems');
});

test('writing never replaces an existing target unless asked, leaves no partial output, and makes files private', async () => {
  const dir = tmp();
  const docs: LabelledDocument[] = [{ id: 'a', text: 'fever', spans: [{ start: 0, end: 5, label: 'P' }] }];
  writeFileSync(join(dir, 'taken.jsonl'), 'precious');
  await assert.rejects(writeDataset(docs, join(dir, 'taken.jsonl'), 'jsonl-spans'), /already exists/);
  assert.equal(readFileSync(join(dir, 'taken.jsonl'), 'utf8'), 'precious');
  mkdirSync(join(dir, 'folder'));
  writeFileSync(join(dir, 'folder', 'keep.txt'), 'x');
  await assert.rejects(writeDataset(docs, join(dir, 'folder'), 'brat'), /already exists/);
  await assert.rejects(writeDataset(docs, join(dir, 'folder'), 'conll', { overwrite: true }), /is a folder; this format writes a file/);
  mkdirSync(join(dir, 'empty'));
  await writeDataset(docs, join(dir, 'empty'), 'brat');
  await writeDataset(docs, join(dir, 'taken.jsonl'), 'jsonl-spans', { overwrite: true });
  await writeDataset(docs, join(dir, 'folder'), 'brat', { overwrite: true });
  assert.ok(!existsSync(join(dir, 'folder', 'keep.txt')));
  assert.deepEqual(readdirSync(dir).sort(), ['empty', 'folder', 'taken.jsonl'], 'no temporary files left');
  assert.equal(statSync(join(dir, 'taken.jsonl')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'folder', 'a.txt')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'folder')).mode & 0o777, 0o700);
});

const NCBI = resolve(__dirname, '../../..', '../shared/data/ner/ncbi_disease/test.tsv');

test('NCBI-disease test split: CoNLL -> JSONL -> brat -> CoNLL gives the same bytes', { skip: !existsSync(NCBI) && 'shared NCBI-disease data not present at ../shared/data/ner/ncbi_disease' }, async () => {
  const dir = tmp();
  const a = await readDataset([NCBI]);
  await writeDataset(a, join(dir, 'a.jsonl'), 'jsonl-spans');
  await writeDataset(await readDataset([join(dir, 'a.jsonl')]), join(dir, 'brat'), 'brat');
  const c = await readDataset([join(dir, 'brat')]);
  assert.equal(c.documents.length, 940);
  const w = await writeDataset(c, join(dir, 'back.tsv'), 'conll');
  assert.deepEqual(w.problems, []);
  assert.ok(readFileSync(join(dir, 'back.tsv')).equals(readFileSync(NCBI)));
});
