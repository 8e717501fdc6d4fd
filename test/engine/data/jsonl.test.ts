import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJsonl, parseJsonArray, parseJsonl } from '../../../src/engine/data/jsonl';
import type { DatasetProblem, LabelledDocument } from '../../../src/engine/data/types';

const lines = (...records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const spansOf = (d: LabelledDocument) => (d.spans ?? []).map((s) => `${d.text.slice(s.start, s.end)}/${s.label}`);

test('Prodigy spans with tokens; rejected and ignored answers are left out and reported', () => {
  const problems: DatasetProblem[] = [];
  const { documents, hasSpans } = parseJsonl(
    lines(
      { text: 'Chest pain today', spans: [{ start: 0, end: 10, label: 'PROBLEM', token_start: 0, token_end: 1 }], tokens: [{ text: 'Chest', start: 0, end: 5, id: 0 }, { text: 'pain', start: 6, end: 10, id: 1 }, { text: 'today', start: 11, end: 16, id: 2 }], answer: 'accept' },
      { text: 'Bad one', spans: [{ start: 0, end: 3, label: 'X' }], answer: 'reject' },
      { text: 'Skipped', spans: [], answer: 'ignore' },
    ),
    'p.jsonl',
    'codepoints',
    problems,
  );
  assert.ok(hasSpans);
  assert.deepEqual(documents.map((d) => d.id), ['p.jsonl:1']);
  assert.deepEqual(spansOf(documents[0]!), ['Chest pain/PROBLEM']);
  assert.deepEqual(documents[0]!.words, [{ start: 0, end: 5 }, { start: 6, end: 10 }, { start: 11, end: 16 }]);
  assert.deepEqual(problems.map((p) => [p.line, p.message]), [[2, 'marked "reject" in Prodigy: left out'], [3, 'marked "ignore" in Prodigy: left out']]);
});

test('doccano shapes: "label": [[start, end, LABEL]] and "entities" as objects or arrays', () => {
  const { documents } = parseJsonl(
    lines(
      { id: 1, text: 'aspirin 81 mg', label: [[0, 7, 'Drug'], [8, 13, 'Dose']] },
      { text: 'metformin', entities: [{ id: 4, label: 'Drug', start_offset: 0, end_offset: 9 }], relations: [] },
      { text: 'insulin', entities: [[0, 7, 'Drug']] },
    ),
    'd.jsonl',
    'codepoints',
    [],
  );
  assert.deepEqual(documents.map(spansOf), [['aspirin/Drug', '81 mg/Dose'], ['metformin/Drug'], ['insulin/Drug']]);
});

test('document labels: a string, a number, one-item lists; several labels are multi-label and reported', () => {
  const problems: DatasetProblem[] = [];
  const { documents, hasSpans } = parseJsonl(
    lines(
      { text: 'a', label: 'discharge' },
      { text: 'b', label: 1 },
      { text: 'c', label: ['radiology'] },
      { text: 'd', labels: ['x', 'y'] },
      { text: 'e', accept: ['nursing'] },
      { text: 'f', label: { nested: true } },
    ),
    'l.jsonl',
    'codepoints',
    problems,
  );
  assert.ok(!hasSpans);
  assert.deepEqual(documents.map((d) => [d.text, d.label ?? null]), [['a', 'discharge'], ['b', '1'], ['c', 'radiology'], ['e', 'nursing'], ['f', null]]);
  assert.deepEqual(problems.map((p) => p.line), [4, 6]);
  assert.match(problems[0]!.message, /multi-label notes are not supported, the label is left out and so is the note/);
});

test('bad lines are reported by file and line, never quoting the text: bad JSON, not an object, no text, empty text, bad spans', () => {
  const problems: DatasetProblem[] = [];
  const { documents } = parseJsonl(
    lines(
      '{"text": "Patient Jane Doe has fever", "spans": [',
      '["Patient Jane Doe"]',
      { spans: [] },
      { text: '  ', spans: [] },
      { text: 'Patient Jane Doe', spans: [{ start: 8, end: 99, label: 'Name' }, { start: 8, end: 8, label: 'Name' }, { start: 12, end: 8, label: 'Name' }, { start: 0, end: 7, label: '' }, { start: 'a', end: 3, label: 'X' }] },
    ),
    'bad.jsonl',
    'codepoints',
    problems,
  );
  assert.deepEqual(documents.map((d) => [d.id, d.spans]), [['bad.jsonl:5', []]]);
  assert.deepEqual(problems.map((p) => `${p.file}:${p.line} ${p.message.split(':')[0]}`), [
    'bad.jsonl:1 not valid JSON',
    'bad.jsonl:2 not a JSON object',
    'bad.jsonl:3 "text" is missing or not a string',
    'bad.jsonl:4 the text is empty',
    'bad.jsonl:5 Name span lies outside the text',
    'bad.jsonl:5 Name span is empty',
    'bad.jsonl:5 Name span ends before it starts',
    'bad.jsonl:5 span has no usable label (a non-empty string without tabs or line breaks)',
    'bad.jsonl:5 span offsets are not whole numbers',
  ]);
  assert.ok(problems.every((p) => !/Jane|Doe|fever/.test(p.message)), 'no note text in messages');
});

test('offsets count code points by default (Python tools); utf16 reads files from JavaScript tools', () => {
  const text = '😀😀 chest pain';
  const cp = parseJsonl(lines({ text, spans: [{ start: 3, end: 13, label: 'P' }] }), 'a.jsonl', 'codepoints', []);
  assert.deepEqual(spansOf(cp.documents[0]!), ['chest pain/P']);
  const u16 = parseJsonl(lines({ text, spans: [{ start: 5, end: 15, label: 'P' }] }), 'a.jsonl', 'utf16', []);
  assert.deepEqual(spansOf(u16.documents[0]!), ['chest pain/P']);
  const problems: DatasetProblem[] = [];
  parseJsonl(lines({ text, spans: [{ start: 1, end: 13, label: 'P' }] }), 'a.jsonl', 'utf16', problems);
  assert.match(problems[0]!.message, /inside a character/);
});

test('a JSON array of the same records', () => {
  const problems: DatasetProblem[] = [];
  const { documents } = parseJsonArray(JSON.stringify([{ text: 'fever', label: [[0, 5, 'P']] }, 7]), 'export.json', 'codepoints', problems);
  assert.deepEqual(documents.map((d) => [d.id, spansOf(d)]), [['export.json#1', ['fever/P']]]);
  assert.deepEqual(problems.map((p) => p.doc), ['export.json#2']);
  const broken: DatasetProblem[] = [];
  assert.equal(parseJsonArray('[{"text":', 'x.json', 'codepoints', broken).documents.length, 0);
  assert.match(broken[0]!.message, /not valid JSON: file left out/);
});

test('writing: offsets in code points, tokens only when they differ from the default word split, label files leave out what they cannot hold', () => {
  const docs: LabelledDocument[] = [
    { id: 'a', text: '😀 Ca2+ low', spans: [{ start: 3, end: 7, label: 'Lab' }], words: [{ start: 0, end: 2 }, { start: 3, end: 7 }, { start: 8, end: 11 }], label: 'x' },
    { id: 'b', text: 'fever now', spans: [{ start: 0, end: 5, label: 'P' }], words: [{ start: 0, end: 5 }, { start: 6, end: 9 }] },
  ];
  const problems: DatasetProblem[] = [];
  const out = formatJsonl(docs, 'spans', problems).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(out[0], {
    text: '😀 Ca2+ low',
    spans: [{ start: 2, end: 6, label: 'Lab' }],
    label: 'x',
    tokens: [{ text: '😀', start: 0, end: 1, id: 0 }, { text: 'Ca2+', start: 2, end: 6, id: 1 }, { text: 'low', start: 7, end: 10, id: 2 }],
  });
  assert.deepEqual(out[1], { text: 'fever now', spans: [{ start: 0, end: 5, label: 'P' }] });
  assert.deepEqual(problems, []);
  const back = parseJsonl(formatJsonl(docs, 'spans', []), 'r.jsonl', 'codepoints', []).documents;
  assert.deepEqual(back.map((d) => [d.spans, d.words ?? null, d.label ?? null]), [[docs[0]!.spans, docs[0]!.words, 'x'], [docs[1]!.spans, null, null]]);

  const labelProblems: DatasetProblem[] = [];
  assert.equal(formatJsonl(docs, 'labels', labelProblems), '{"text":"😀 Ca2+ low","label":"x"}\n');
  assert.deepEqual(labelProblems.map((p) => p.message), [
    '1 document(s) have no document label: left out of the label file',
    'a label file holds no spans: the spans of 1 document(s) are not written',
  ]);
});
