/**
 * A note's labels as the editor keeps them, through the .ann round trip: ids
 * and lines the editor does not manage stay, brat's code-point offsets are
 * written, a span whose text moved or vanished (the note changed outside VS
 * Code) is flagged or kept verbatim, never put on other text silently. The
 * files written are read back by the dataset reader, as training reads them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoteLabels, spanState } from '../../../src/features/labels/noteLabels';
import { readDataset } from '../../../src/engine/data/read';

const text = 'Pt denies chest pain. Hx of CHF 😀 and DM2.\nOn metformin.';
const cp = (s: string) => [...text.slice(0, text.indexOf(s))].length;
const ann = [
  `T2\tProblem ${cp('chest pain')} ${cp('chest pain') + 10}\tchest pain`,
  `T5\tProblem ${cp('DM2')} ${cp('DM2') + 3}\tDM2`,
  'A1\tNegation T2',
  '#1\tAnnotatorNotes T5\ttype 2',
  'R1\tTreats Arg1:T7 Arg2:T5',
  `T7\tDrug ${cp('metformin')} ${cp('metformin') + 9}\tmetformin`,
  '',
].join('\n');

test('reading places spans in UTF-16 offsets after an emoji and keeps ids and foreign lines', () => {
  const { labels } = NoteLabels.read(ann, text);
  assert.deepEqual(
    labels.spans.map((s) => [s.id, s.label, text.slice(s.start, s.end)]),
    [['T2', 'Problem', 'chest pain'], ['T5', 'Problem', 'DM2'], ['T7', 'Drug', 'metformin']],
  );
  assert.deepEqual(labels.foreign, ['A1\tNegation T2', '#1\tAnnotatorNotes T5\ttype 2', 'R1\tTreats Arg1:T7 Arg2:T5']);
  assert.equal(labels.dirty, false);
});

test('a file read and written unchanged keeps every line', () => {
  const { labels } = NoteLabels.read(ann, text);
  const out = labels.format(text);
  assert.deepEqual(out.split('\n').sort(), ann.split('\n').sort());
});

test('a new span gets the next free id and code-point offsets; relabelling keeps the id', () => {
  const { labels } = NoteLabels.read(ann, text);
  const s = labels.add(text, text.indexOf('CHF'), text.indexOf('CHF') + 3, 'Problem');
  assert.equal(s.id, 'T8');
  assert.ok(labels.relabel('T2', 'Symptom'));
  const out = labels.format(text);
  assert.match(out, new RegExp(`^T8\\tProblem ${cp('CHF')} ${cp('CHF') + 3}\\tCHF$`, 'm'));
  assert.match(out, /^T2\tSymptom \d+ \d+\tchest pain$/m);
  assert.match(out, /^A1\tNegation T2$/m);
});

test('a new id never reuses one that a kept line refers to', () => {
  const { labels } = NoteLabels.read('R1\tRel Arg1:T9 Arg2:T3\n', 'abc def');
  assert.equal(labels.add('abc def', 0, 3, 'X').id, 'T10');
});

test('removing a span drops the lines that refer to it, as brat does', () => {
  const { labels } = NoteLabels.read(ann, text);
  assert.ok(labels.remove('T5'));
  const out = labels.format(text);
  assert.doesNotMatch(out, /^T5\t/m);
  assert.doesNotMatch(out, /AnnotatorNotes T5/);
  assert.doesNotMatch(out, /^R1\t/m);
  assert.match(out, /^A1\tNegation T2$/m);
});

test('labelling over existing spans replaces them; the same range keeps its id', () => {
  const { labels } = NoteLabels.read(ann, text);
  const start = text.indexOf('chest pain');
  assert.equal(labels.add(text, start, start + 10, 'Symptom').id, 'T2');
  const wide = labels.add(text, start - 7, start + 10, 'Finding');
  assert.equal(wide.id, 'T8');
  assert.deepEqual(labels.spans.map((s) => s.id), ['T8', 'T5', 'T7']);
});

test('edits made in the editor move the spans, and the .ann is written at the new offsets', () => {
  const { labels } = NoteLabels.read(ann, text);
  const edited = 'NOTE\n' + text;
  labels.follow([{ rangeOffset: 0, rangeLength: 0, text: 'NOTE\n' }]);
  assert.ok(labels.dirty);
  const again = NoteLabels.read(labels.format(edited), edited).labels;
  assert.deepEqual(again.spans.map((s) => edited.slice(s.start, s.end)), ['chest pain', 'DM2', 'metformin']);
  assert.deepEqual(again.unplaced, []);
});

test('a span whose text changed in the editor is flagged until kept, and is written with its new text', () => {
  const { labels } = NoteLabels.read(ann, text);
  const at = text.indexOf(' pain');
  labels.follow([{ rangeOffset: at, rangeLength: 0, text: ' wall' }]);
  const s = labels.spans.find((x) => x.id === 'T2')!;
  assert.equal(spanState(s), 'edited');
  assert.equal(labels.flagged.length, 1);
  const edited = text.slice(0, at) + ' wall' + text.slice(at);
  assert.match(labels.format(edited), /^T2\tProblem \d+ \d+\tchest wall pain$/m);
  assert.ok(labels.keep('T2'));
  assert.equal(labels.flagged.length, 0);
});

test('the note changed outside VS Code: a span found elsewhere is shown for review and its line kept until kept', () => {
  const { labels } = NoteLabels.read(ann, text);
  const outside = 'ADDENDUM: seen again.\n' + text.replace('DM2', 'type 2 diabetes');
  const { labels: again } = NoteLabels.read(labels.format(text), outside);
  const byId = new Map(again.spans.map((s) => [s.id, s]));
  // chest pain is still in the note, 22 characters later: shown there, flagged
  const chest = byId.get('T2')!;
  assert.equal(outside.slice(chest.start, chest.end), 'chest pain');
  assert.equal(spanState(chest), 'review');
  // DM2 is gone: not shown anywhere, its line kept as it was
  assert.equal(byId.get('T5'), undefined);
  assert.deepEqual(again.unplaced.map((u) => u.id), ['T5']);
  assert.match(again.unplaced[0]!.reason, /no longer in the note/);
  // writing without a decision changes none of the flagged lines
  const written = again.format(outside);
  for (const l of ann.split('\n').filter((x) => /^T[25]\t/.test(x))) assert.ok(written.includes(l + '\n'), l);
  // keeping the relocated span writes it at its new place
  assert.ok(again.keep('T2'));
  assert.match(again.format(outside), new RegExp(`^T2\\tProblem ${[...outside.slice(0, chest.start)].length} `, 'm'));
  // the lines about T5 stay while T5's line does
  assert.match(written, /AnnotatorNotes T5/);
});

test('a relocated span is put at the occurrence nearest its old place', () => {
  const t0 = 'fever. fever. fever.';
  const { labels } = NoteLabels.read('T1\tSymptom 14 19\tfever\n', t0);
  assert.equal(labels.spans[0]!.start, 14);
  const moved = 'Now: ' + t0;
  const { labels: again } = NoteLabels.read('T1\tSymptom 14 19\tfever\n', moved);
  assert.equal(again.spans[0]!.start, 12);
  assert.equal(spanState(again.spans[0]!), 'review');
});

test('malformed T lines and discontinuous spans across text are kept verbatim and listed', () => {
  const t0 = 'left arm and right leg';
  const a = 'T1\tFinding 0 4;13 18\tleft right\nT2 broken line\nT3\tBody 18 22\tleg\n';
  const { labels } = NoteLabels.read(a, t0);
  assert.deepEqual(labels.spans.map((s) => s.id), ['T3']);
  assert.deepEqual(labels.unplaced.map((u) => u.id).sort(), ['T1', 'T2 broken line']);
  const out = labels.format(t0);
  assert.ok(out.includes('T1\tFinding 0 4;13 18\tleft right\n'));
  assert.ok(out.includes('T2 broken line\n'));
});

test('an .ann the editor wrote reads back with the dataset reader, as training reads it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-labels-'));
  const { labels } = NoteLabels.read(undefined, text);
  labels.add(text, text.indexOf('CHF'), text.indexOf('CHF') + 3, 'Problem');
  labels.add(text, text.indexOf('metformin'), text.indexOf('metformin') + 9, 'Drug');
  writeFileSync(join(dir, 'n1.txt'), text);
  writeFileSync(join(dir, 'n1.ann'), labels.format(text));
  const ds = await readDataset([dir]);
  assert.deepEqual(ds.problems, []);
  assert.deepEqual(ds.documents[0]!.spans, [
    { start: text.indexOf('CHF'), end: text.indexOf('CHF') + 3, label: 'Problem' },
    { start: text.indexOf('metformin'), end: text.indexOf('metformin') + 9, label: 'Drug' },
  ]);
});

test('a note starting with a byte order mark: brat counts it, the editor text does not have it', () => {
  const t0 = 'fever and cough';
  const { labels } = NoteLabels.read('T1\tSymptom 11 16\tcough\n', t0, { hadBom: true });
  assert.equal(t0.slice(labels.spans[0]!.start, labels.spans[0]!.end), 'cough');
  labels.add(t0, 0, 5, 'Symptom');
  const out = labels.format(t0);
  assert.match(out, /^T2\tSymptom 1 6\tfever$/m);
  const { problems } = NoteLabels.read(out, t0, { hadBom: true });
  assert.deepEqual(problems, []);
});

test('a note opened with unsaved edits: spans outside the edited part shift, one inside it is found again for review', () => {
  const disk = 'Pt has chest pain and fever. Denies cough.';
  const a = 'T1\tProblem 7 17\tchest pain\nT2\tProblem 22 27\tfever\nT3\tProblem 36 41\tcough\n';
  const { labels } = NoteLabels.read(a, disk);
  const editor = 'Pt (seen today) has chest pain and high fever. Denies cough.';
  labels.rebase(disk, editor);
  const shown = labels.spans.map((s) => [s.id, editor.slice(s.start, s.end), spanState(s)]);
  assert.deepEqual(shown, [['T1', 'chest pain', 'review'], ['T2', 'fever', 'ok'], ['T3', 'cough', 'ok']]);
  // the flagged span's line stays as the .ann had it
  assert.ok(labels.format(editor).includes('T1\tProblem 7 17\tchest pain\n'));
  const gone = NoteLabels.read(a, disk).labels;
  gone.rebase(disk, 'Pt has fever. Denies cough.');
  assert.deepEqual(gone.unplaced.map((u) => u.line), ['T1\tProblem 7 17\tchest pain']);
});
