import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatConll, looksLikeConll, parseConll } from '../../../src/engine/data/conll';
import { readDataset } from '../../../src/engine/data/read';
import type { DatasetProblem, LabelledDocument } from '../../../src/engine/data/types';

const spansOf = (d: LabelledDocument) => (d.spans ?? []).map((s) => `${d.text.slice(s.start, s.end)}/${s.label}`);

test('IOB2: one document per sentence, tokens joined by single spaces, spans from B-/I- tags', () => {
  const problems: DatasetProblem[] = [];
  const docs = parseConll('Familial\tB-Disease\nbreast\tI-Disease\ncancer\tI-Disease\nrisk\tO\n\nNo\tO\nAPC\tB-Gene\n', 'a.tsv', problems);
  assert.deepEqual(problems, []);
  assert.equal(docs.length, 2);
  assert.equal(docs[0]!.id, 'a.tsv:1');
  assert.equal(docs[1]!.id, 'a.tsv:6');
  assert.equal(docs[0]!.text, 'Familial breast cancer risk');
  assert.deepEqual(spansOf(docs[0]!), ['Familial breast cancer/Disease']);
  assert.deepEqual(docs[0]!.words, [{ start: 0, end: 8 }, { start: 9, end: 15 }, { start: 16, end: 22 }, { start: 23, end: 27 }]);
  assert.deepEqual(spansOf(docs[1]!), ['APC/Gene']);
});

test('IOB1: I- starts a span after O or another type; B- only separates two adjacent spans of one type', () => {
  const docs = parseConll('John\tI-PER\nSmith\tI-PER\nMary\tB-PER\nin\tO\nParis\tI-LOC\nTexas\tI-ORG\n', 'x.iob', []);
  assert.deepEqual(spansOf(docs[0]!), ['John Smith/PER', 'Mary/PER', 'Paris/LOC', 'Texas/ORG']);
});

test('BIOES and BILOU: E-/L- end a span, S-/U- are one-token spans', () => {
  const bioes = parseConll('a\tB-X\nb\tE-X\nc\tS-X\nd\tS-Y\ne\tO\n', 'b.bioes', []);
  assert.deepEqual(spansOf(bioes[0]!), ['a b/X', 'c/X', 'd/Y']);
  const bilou = parseConll('a\tU-X\nb\tB-X\nc\tI-X\nd\tL-X\ne\tU-X\n', 'c.bilou', []);
  assert.deepEqual(spansOf(bilou[0]!), ['a/X', 'b c d/X', 'e/X']);
});

test('IO (no prefixed tag in the file): consecutive tokens of one label form a span', () => {
  const docs = parseConll('chest\tProblem\npain\tProblem\nand\tO\nECG\tTest\naspirin\tDrug\n', 'io.tsv', []);
  assert.deepEqual(spansOf(docs[0]!), ['chest pain/Problem', 'ECG/Test', 'aspirin/Drug']);
});

test('-DOCSTART- groups sentences into one document, joined by line breaks', () => {
  const text = '-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nGerman JJ B-NP B-MISC\n\n-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\n';
  const problems: DatasetProblem[] = [];
  const docs = parseConll(text, 'eng.train', problems);
  assert.deepEqual(problems, []);
  assert.equal(docs.length, 2);
  assert.equal(docs[0]!.text, 'EU rejects\nGerman');
  assert.deepEqual(spansOf(docs[0]!), ['EU/ORG', 'German/MISC']);
  assert.equal(docs[1]!.id, 'eng.train:10');
  assert.deepEqual(spansOf(docs[1]!), ['Peter/PER']);
});

test('bad lines are reported by line: unknown tag shape (read as O), no tag column (read as O), empty token (left out); CRLF is fine', () => {
  const problems: DatasetProblem[] = [];
  const docs = parseConll('a\tB-X\r\nb\tFOO\r\nc\r\n\tO\r\nd\tI-X\r\n', 'bad.tsv', problems);
  assert.equal(docs[0]!.text, 'a b c d');
  assert.deepEqual(spansOf(docs[0]!), ['a/X', 'd/X']);
  assert.deepEqual(
    problems.map((p) => [p.line, p.message.split(':')[0]]),
    [
      [3, 'no tag column (expected token TAB tag)'],
      [4, 'the token column is empty'],
      [2, 'tag is neither O nor B-/I-/E-/S-/L-/U- followed by a label'],
    ],
  );
  assert.equal(problems[2]!.doc, 'bad.tsv:1');
  assert.ok(problems.every((p) => !/\bFOO\b|\bb\b/.test(p.message)), 'no note text in messages');
});

test('looksLikeConll: token/tag lines yes; prose, JSON and CSV no', () => {
  assert.ok(looksLikeConll('-DOCSTART- -X- O\n\nHe\tO\nhad\tO\nfever\tB-Problem\n'));
  assert.ok(!looksLikeConll('Patient seen today for chest pain.\nPlan: ECG.\n'));
  assert.ok(!looksLikeConll('{"text": "a"}\n'));
  assert.ok(!looksLikeConll('text,label\nfoo,bar\n'));
});

test('writing: IOB2 token TAB tag; words split at span boundaries and reported; labels and unplaceable spans reported', () => {
  const problems: DatasetProblem[] = [];
  const { text, documents } = formatConll(
    [
      { id: 'n1', text: 'Took 5mg aspirin.', spans: [{ start: 5, end: 6, label: 'Dose' }, { start: 9, end: 16, label: 'Drug' }], label: 'meds' },
      { id: 'n2', text: '   ', spans: [] },
    ],
    problems,
  );
  assert.equal(text, 'Took\tO\n5\tB-Dose\nmg\tO\naspirin\tB-Drug\n.\tO\n\n');
  assert.equal(documents, 1);
  assert.deepEqual(problems.map((p) => p.doc), ['n1', 'n1', 'n2']);
  assert.match(problems[0]!.message, /no document labels/);
  assert.match(problems[1]!.message, /inside a word: the word is split/);
  assert.equal(problems[1]!.start, 5);
});

test('writing: a line break ends a sentence, -DOCSTART- separates documents once any has two sentences', () => {
  const problems: DatasetProblem[] = [];
  const { text } = formatConll(
    [
      { id: 'a', text: 'Chest pain.\nNo fever', spans: [{ start: 0, end: 10, label: 'P' }] },
      { id: 'b', text: 'Cough', spans: [{ start: 0, end: 5, label: 'P' }] },
      { id: 'c', text: 'chest\npain', spans: [{ start: 0, end: 10, label: 'P' }] },
    ],
    problems,
  );
  assert.equal(
    text,
    '-DOCSTART- -X- -X- O\n\nChest\tB-P\npain\tI-P\n.\tO\n\nNo\tO\nfever\tO\n\n-DOCSTART- -X- -X- O\n\nCough\tB-P\n\n-DOCSTART- -X- -X- O\n\nchest\tB-P\npain\tI-P\n\n',
  );
  assert.deepEqual(problems.map((p) => p.doc), ['c']);
  assert.match(problems[0]!.message, /crosses a line break/);
  const back = parseConll(text, 'x.conll', []);
  assert.deepEqual(back.map((d) => d.text), ['Chest pain .\nNo fever', 'Cough', 'chest pain']);
});

test('writing: a span that begins with whitespace is written without it and reported', () => {
  const problems: DatasetProblem[] = [];
  const { text } = formatConll([{ id: 'w', text: 'a  pain', spans: [{ start: 1, end: 7, label: 'P' }] }], problems);
  assert.equal(text, 'a\tO\npain\tB-P\n\n');
  assert.match(problems[0]!.message, /whitespace/);
});

const NCBI = resolve(__dirname, '../../..', '../shared/data/ner/ncbi_disease');

test('NCBI-disease reads with the published sentence counts (5,424 / 923 / 940) and one span per B- tag', { skip: !existsSync(NCBI) && 'shared NCBI-disease data not present at ../shared/data/ner/ncbi_disease' }, async () => {
  for (const [file, sentences, mentions] of [['train.tsv', 5424, 5134], ['devel.tsv', 923, 787], ['test.tsv', 940, 960]] as const) {
    const d = await readDataset([resolve(NCBI, file)]);
    assert.equal(d.documents.length, sentences, file);
    assert.equal(d.documents.reduce((n, doc) => n + doc.spans!.length, 0), mentions, file);
    assert.deepEqual(d.formats, ['conll']);
    assert.ok(d.problems.every((p) => /^same text as/.test(p.message)), `${file}: only duplicate sentences are reported`);
  }
});
