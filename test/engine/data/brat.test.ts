import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAnn, parseAnn } from '../../../src/engine/data/brat';
import { readDataset } from '../../../src/engine/data/read';
import type { DatasetProblem, LabelledDocument } from '../../../src/engine/data/types';

const where = { doc: 'n.txt', file: 'n.ann' };
const covered = (text: string, s: { start: unknown; end: unknown }) => text.slice(s.start as number, s.end as number);

test('T lines: offsets count code points, so a span after an emoji lands on the right UTF-16 offsets', () => {
  const text = 'Pt 😀 reports chest pain.';
  // brat (Python) counts the emoji as one character: "chest pain" is at 13..23 in code points, 14..24 in UTF-16
  const ann = 'T1\tProblem 13 23\tchest pain\n';
  const problems: DatasetProblem[] = [];
  const { spans } = parseAnn(ann, text, where, problems);
  assert.deepEqual(problems, []);
  assert.deepEqual(spans.map((s) => [s.id, s.start, s.end, s.label, s.line]), [['T1', 14, 24, 'Problem', 1]]);
  assert.equal(covered(text, spans[0]!), 'chest pain');
  assert.equal(formatAnn(text, [{ start: 14, end: 24, label: 'Problem' }]), ann, 'written back in code points');
});

test('offsets counted in UTF-16 units by another tool are recognised by the covered text and reported', () => {
  const text = 'Pt 😀 reports chest pain.';
  const problems: DatasetProblem[] = [];
  const { spans } = parseAnn('T1\tProblem 14 24\tchest pain\n', text, where, problems);
  assert.equal(covered(text, spans[0]!), 'chest pain');
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /UTF-16 units/);
});

test('a BOM at the start of the .txt counts as a character for brat; offsets are shifted past it', () => {
  const text = 'fever and cough';
  const { spans } = parseAnn('T1\tProblem 1 6\tfever\nT2\tProblem 11 16\n', text, { ...where, hadBom: true }, []);
  assert.deepEqual(spans.map((s) => covered(text, s)), ['fever', 'cough']);
});

test('discontinuous spans: fragments split by whitespace only are joined, fragments split by text are reported', () => {
  const text = 'chest\npain and left arm numbness';
  const problems: DatasetProblem[] = [];
  const { spans } = parseAnn('T1\tProblem 0 5;6 10\tchest pain\nT2\tProblem 15 19;24 32\tleft numbness\n', text, where, problems);
  assert.deepEqual(spans.map((s) => covered(text, s)), ['chest\npain']);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, 2);
  assert.match(problems[0]!.message, /^discontinuous Problem span/);
});

test('other annotation kinds are counted and kept verbatim; unknown and malformed lines, wrong text and out-of-range spans are reported by line', () => {
  const text = 'No fever today.';
  const ann = [
    'T1\tProblem 3 8\tfever',
    'A1\tNegated T1',
    'R1\tRel Arg1:T1 Arg2:T1',
    'E1\tEv:T1',
    '#1\tAnnotatorNotes T1\tsome note',
    'N1\tReference T1 UMLS:C0015967\tFever',
    'X1\tstrange',
    'T2\tProblem three 8\tfever',
    'T3\tProblem 9 14\tfever',
    'T4\tProblem 9 99\tcough',
    '',
  ].join('\n');
  const problems: DatasetProblem[] = [];
  const parsed = parseAnn(ann, text, where, problems);
  assert.deepEqual(parsed.spans.map((s) => s.id), ['T1']);
  assert.equal(parsed.ignored, 5);
  assert.equal(parsed.otherLines.length, 6);
  assert.deepEqual(problems.map((p) => p.line), [7, 8, 9, 10]);
  assert.match(problems[0]!.message, /not a brat annotation line/);
  assert.match(problems[1]!.message, /malformed T line/);
  assert.match(problems[2]!.message, /differs from the .txt/);
  assert.match(problems[3]!.message, /outside the text/);
  assert.ok(problems.every((p) => !p.message.includes('fever') && !p.message.includes('today')), 'no note text in messages');
});

test('formatAnn: ids kept or numbered after the highest, spans across line breaks as fragments, labels without spaces, other lines kept', () => {
  const text = 'chest\npain, fever';
  const out = formatAnn(
    text,
    [
      { id: 'T7', start: 12, end: 17, label: 'Problem' },
      { start: 0, end: 10, label: 'Chief complaint' },
    ],
    ['A1\tNegated T7'],
  );
  assert.equal(out, 'T8\tChief_complaint 0 5;6 10\tchest pain\nT7\tProblem 12 17\tfever\nA1\tNegated T7\n');
  const { spans } = parseAnn(out, text, where, []);
  assert.deepEqual(spans.map((s) => [s.start, s.end]), [[0, 10], [12, 17]]);
});

function bratFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'cmb-brat-'));
  mkdirSync(join(root, 'notes'));
  writeFileSync(join(root, 'notes', 'n2.txt'), 'Denies chest pain.');
  writeFileSync(join(root, 'notes', 'n2.ann'), 'T1\tProblem 7 17\tchest pain\nA1\tNegated T1\n');
  writeFileSync(join(root, 'notes', 'n10.txt'), 'Fever and fever.');
  writeFileSync(join(root, 'notes', 'n10.ann'), 'T1\tProblem 0 5\tFever\nT2\tSymptom 0 5\tFever\nT3\tProblem 10 15\tfever\n');
  writeFileSync(join(root, 'notes', 'n3.txt'), 'Discharge summary without entities.');
  writeFileSync(join(root, 'notes', 'n3.ann'), '');
  writeFileSync(join(root, 'unlabelled.txt'), 'Just a note nobody labelled.');
  writeFileSync(join(root, 'listed-only.txt'), 'A note labelled as a whole.');
  writeFileSync(join(root, 'orphan.ann'), 'T1\tProblem 0 1\tx\n');
  writeFileSync(join(root, 'annotation.conf'), '[entities]\nProblem\n');
  writeFileSync(join(root, 'README.md'), '# corpus\n');
  writeFileSync(join(root, 'labels.csv'), 'path,label\nnotes/n2.txt,cardiology\nlisted-only.txt,discharge\nmissing.txt,x\nnotes/n2.txt,again\n');
  return root;
}

test('a brat folder: notes with .ann in natural order, labels.csv at the root, everything left out reported', async () => {
  const root = bratFolder();
  const d = await readDataset([root]);
  const summary = (doc: LabelledDocument) => [doc.id, doc.label ?? null, (doc.spans ?? null) && doc.spans!.map((s) => `${doc.text.slice(s.start, s.end)}/${s.label}`)];
  assert.deepEqual(d.documents.map(summary), [
    ['listed-only.txt', 'discharge', null],
    ['notes/n2.txt', 'cardiology', ['chest pain/Problem']],
    ['notes/n3.txt', null, []],
    ['notes/n10.txt', null, ['Fever/Problem', 'fever/Problem']],
  ]);
  assert.deepEqual(d.formats, ['brat']);
  assert.deepEqual(d.sources, [{ path: root, format: 'brat', detectedBy: 'extension' }]);
  const said = d.problems.map((p) => `${p.file ?? p.doc}${p.line ? ':' + p.line : ''} ${p.message}`);
  assert.deepEqual(said, [
    'labels.csv:5 the note is listed twice (first on line 2): this row is left out',
    'notes/n10.ann:2 Symptom span overlaps the Problem span at 0-5: left out (the first one is kept; nested and overlapping spans are not supported)',
    'orphan.ann no .txt note beside this .ann: left out',
    'labels.csv:4 no note at this path: row left out',
    `${root} 1 .txt file(s) have no .ann beside them and are not in labels.csv: left out (an empty .ann marks a note with no entities)`,
    `${root} 1 file(s) of other kinds left out (not CoNLL, brat, JSONL or CSV by their extension)`,
    `${root} 1 brat line(s) of other kinds (attributes, relations, events, normalizations, notes) ignored: only T spans are read`,
  ]);
});

test('one brat note by name: the .txt or the .ann', async () => {
  const root = bratFolder();
  for (const p of [join(root, 'notes', 'n2.txt'), join(root, 'notes', 'n2.ann')]) {
    const d = await readDataset([p]);
    assert.deepEqual(d.documents.map((x) => [x.id, x.spans!.length]), [['n2.txt', 1]]);
    assert.deepEqual(d.formats, ['brat']);
  }
});
