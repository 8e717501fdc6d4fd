import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClinicalTokenizer } from '../../../src/engine/text/tokenizer';
import { makeTestTokenizerConfig, makeTestTokenizerJson } from '../../../src/engine/text/testTokenizer';
import { makeWindows } from '../../../src/engine/text/windows';
import { alignDocuments, IGNORE, iob2Tags, windowTargets, type WindowSource } from '../../../src/engine/data/align';
import { decodeTokenLogits } from '../../../src/engine/tasks/nerDecode';
import type { TensorOut } from '../../../src/engine/host';

const tokenizer = new ClinicalTokenizer(makeTestTokenizerJson(), makeTestTokenizerConfig());
function source(windowTokens: number, stride: number): WindowSource {
  return { windows: (text) => makeWindows(tokenizer.encode(text, { addSpecialTokens: false }), { windowTokens, stride }, tokenizer) };
}
const wide = source(512, 128);

const text = 'Started metformin for chest pain today.';
const metformin = { start: 8, end: 17, label: 'DRUG' };
const chestPain = { start: 22, end: 32, label: 'PROBLEM' };
const tags = iob2Tags(['DRUG', 'PROBLEM']);
const tagIndex = new Map(tags.map((t, i) => [t, i]));

test('each word gets its IOB2 tag; only its first piece trains, other pieces and [CLS]/[SEP] are ignored', () => {
  const { documents, problems } = alignDocuments([{ id: 'n1', text, spans: [metformin, chestPain] }], wide, 'token');
  assert.deepEqual(problems, []);
  const d = documents[0]!;
  assert.deepEqual(d.words.map((w) => text.slice(w.start, w.end)), ['Started', 'metformin', 'for', 'chest', 'pain', 'today', '.']);
  assert.deepEqual(d.wordTags, ['O', 'B-DRUG', 'O', 'B-PROBLEM', 'I-PROBLEM', 'O', 'O']);
  const [targets] = windowTargets(d, tagIndex);
  const w = d.windows[0]!;
  assert.equal(targets![0], IGNORE, '[CLS]');
  assert.equal(targets!.at(-1), IGNORE, '[SEP]');
  // " m" + "etformin": the first piece is B-DRUG, the second ignored
  const pieces = w.offsets.map(([a, b], p) => [text.slice(a, b), targets![p]] as const).slice(1, -1);
  const m = pieces.findIndex(([s]) => s === ' m');
  assert.deepEqual(pieces[m], [' m', tagIndex.get('B-DRUG')]);
  assert.deepEqual(pieces[m + 1], ['etformin', IGNORE]);
  assert.deepEqual(pieces.find(([s]) => s === ' pain'), [' pain', tagIndex.get('I-PROBLEM')]);
  assert.deepEqual(pieces.find(([s]) => s === ' for'), [' for', tagIndex.get('O')]);
});

test('spaces at a span\'s edges are no misalignment: the same words are tagged', () => {
  const { documents, problems } = alignDocuments([{ id: 'n1', text, spans: [{ start: 7, end: 18, label: 'DRUG' }] }], wide, 'token');
  assert.deepEqual(problems, []);
  assert.deepEqual(documents[0]!.wordTags, ['O', 'B-DRUG', 'O', 'O', 'O', 'O', 'O']);
});

test('bad spans are reported by note and offset and left out, never moved; messages carry no note text', () => {
  const spans = [
    { start: 10, end: 17, label: 'DRUG' }, // cuts "metformin"
    { start: 22, end: 29, label: 'PROBLEM' }, // ends inside "pain"
    { start: 30, end: 80, label: 'PROBLEM' }, // past the end
    { start: 5, end: 5, label: 'DRUG' }, // empty
    chestPain,
    { start: 28, end: 38, label: 'DRUG' }, // overlaps chest pain
    { start: 17, end: 18, label: 'DRUG' }, // a space only
    { start: 33, end: 38, label: '' }, // no label
  ];
  const { documents, problems } = alignDocuments([{ id: 'notes/a.jsonl:3', text, spans }], wide, 'token');
  assert.deepEqual(documents[0]!.wordTags, ['O', 'O', 'O', 'B-PROBLEM', 'I-PROBLEM', 'O', 'O']);
  const byStart = new Map(problems.map((p) => [`${p.start}-${p.end}`, p]));
  assert.equal(problems.length, 7);
  for (const p of problems) {
    assert.equal(p.doc, 'notes/a.jsonl:3');
    for (const word of ['metformin', 'chest', 'pain', 'Started']) assert.ok(!p.message.includes(word), `note text in "${p.message}"`);
  }
  assert.match(byStart.get('10-17')!.message, /"DRUG" span \[10, 17\) does not fall on token boundaries: it starts inside the token \[8, 17\); the nearest aligned span is \[8, 17\)/);
  assert.match(byStart.get('22-29')!.message, /ends inside the token \[28, 32\); the nearest aligned span is \[22, 32\)/);
  assert.match(byStart.get('30-80')!.message, /not inside the text \(length 39\)/);
  assert.match(byStart.get('5-5')!.message, /not inside the text/);
  assert.match(byStart.get('28-38')!.message, /overlaps the "PROBLEM" span \[22, 32\)/);
  assert.match(byStart.get('17-18')!.message, /covers no token/);
  assert.match(byStart.get('33-38')!.message, /has no label/);
});

test('notes without the task\'s labels are reported and left out', () => {
  const docs = [{ id: 'a', text: 'No spans here.' }, { id: 'b', text: 'Labelled.', label: 'x' }, { id: 'c', text: '   ', spans: [] }];
  const ner = alignDocuments(docs, wide, 'token');
  assert.deepEqual(ner.documents.map((d) => d.id), []);
  assert.deepEqual(ner.problems.map((p) => p.doc), ['a', 'b', 'c']);
  const cls = alignDocuments(docs, wide, 'sequence');
  assert.deepEqual(cls.documents.map((d) => [d.id, d.label]), [['b', 'x']]);
  assert.match(cls.problems[0]!.message, /has no label/);
});

test('targets decode back to the gold spans through inference\'s own decoder, across overlapping windows', () => {
  const long = 'Patient started metformin and aspirin for chest pain, then shortness of breath and cough; insulin daily.';
  const spans = [
    { start: 16, end: 25, label: 'DRUG' }, { start: 30, end: 37, label: 'DRUG' }, { start: 42, end: 52, label: 'PROBLEM' },
    { start: 59, end: 78, label: 'PROBLEM' }, { start: 83, end: 88, label: 'PROBLEM' }, { start: 90, end: 97, label: 'DRUG' },
  ];
  for (const [windowTokens, stride] of [[512, 128], [8, 2], [6, 0], [10, 4]] as const) {
    const { documents, problems } = alignDocuments([{ id: 'n', text: long, spans }], source(windowTokens, stride), 'token');
    assert.deepEqual(problems, []);
    const d = documents[0]!;
    if (windowTokens < 20) assert.ok(d.windows.length > 2, 'several windows');
    // logits that say exactly the targets (O where ignored): the decoder must find the gold spans
    const logits: TensorOut[] = windowTargets(d, tagIndex).map((t) => {
      const data = new Float32Array(t.length * tags.length);
      t.forEach((c, p) => (data[p * tags.length + (c === IGNORE ? 0 : c)] = 10));
      return { data, dims: [t.length, tags.length] };
    });
    const decoded = decodeTokenLogits(long, d.windows, logits, tags).map((s) => ({ start: s.start, end: s.end, label: s.type.toUpperCase() }));
    assert.deepEqual(decoded, spans, `window ${windowTokens}, stride ${stride}`);
  }
});
