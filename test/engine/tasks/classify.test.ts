import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateWindows, classifyText, softmax, windowWeights } from '../../../src/engine/tasks/classify';
import { EngineError } from '../../../src/engine/errors';
import type { TokenWindow } from '../../../src/engine/text/types';
import { FakeModel, SEQUENCE_LABELS } from './fakeModel';

function win(tokenStart: number, tokenEnd: number): TokenWindow {
  const n = tokenEnd - tokenStart;
  return { index: 0, ids: new Array(n + 2).fill(5), offsets: new Array(n + 2).fill([0, 0]), tokenStart, tokenEnd, charStart: 0, charEnd: 0 };
}

const logits = (...v: number[]) => ({ data: Float32Array.from(v), dims: [v.length] });

test('softmax sums to one and keeps the order of the logits', () => {
  const p = softmax([1, 3, 2]);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(p[1]! > p[2]! && p[2]! > p[0]!);
  assert.deepEqual(softmax([1000, 1000]), [0.5, 0.5]);
});

test('each token counts once: windows weigh by the tokens where they are most central', () => {
  // 0..10, 6..16, 12..20 (overlap 4): weights sum to the 20 tokens of the note
  const w = windowWeights([win(0, 10), win(6, 16), win(12, 20)]);
  assert.equal(w.reduce((a, b) => a + b, 0), 20);
  assert.deepEqual(w, [8, 6, 6]);
});

test('a long note: token-weighted mean of window probabilities, label = argmax', () => {
  const windows = [win(0, 100), win(100, 110)];
  // a long radiology-looking window and a short tail that looks like a progress note
  const r = aggregateWindows(windows, [logits(0, 5, 0), logits(0, 0, 9)], SEQUENCE_LABELS);
  assert.equal(r.label, 'radiology');
  assert.equal(r.windows, 2);
  const sum = Object.values(r.scores).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  const p0 = softmax([0, 5, 0]);
  const p1 = softmax([0, 0, 9]);
  assert.ok(Math.abs(r.scores['progress_note']! - (p0[2]! * 100 + p1[2]! * 10) / 110) < 1e-9);
});

test('classifyText runs every window of the note through the sequence head', async () => {
  const model = new FakeModel({
    head: 'sequence',
    windowTokens: 8,
    stride: 2,
    classify: (pieces) => (pieces.some((p) => /^(disc|admi)/i.test(p)) ? [4, 0, 0] : [0, 0, 1]),
  });
  const note = 'Discharge summary. Admitted for pneumonia, treated with antibiotics, discharged home in stable condition with follow up.';
  const r = await classifyText(model, note);
  assert.equal(r.label, 'discharge_summary');
  assert.ok(r.windows > 1);
  assert.equal(model.windowsRun, r.windows);
});

test('bad input: a model with only a token head says how to get a classification head', async () => {
  await assert.rejects(classifyText(new FakeModel({ head: 'token' }), 'note'), (e: unknown) => e instanceof EngineError && e.code === 'unsupported-model' && /ForSequenceClassification/.test(e.message) && /Fine-tune/.test(e.message));
  await assert.rejects(classifyText(new FakeModel({ head: 'none' }), 'note'), (e: unknown) => e instanceof EngineError && /sequence-classification head/.test(e.message));
});

test('bad input: an empty note is refused; wrong-shaped logits are refused', async () => {
  await assert.rejects(classifyText(new FakeModel({ head: 'sequence' }), '  \n'), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
  assert.throws(() => aggregateWindows([win(0, 3)], [{ data: new Float32Array(9), dims: [3, 3] }], SEQUENCE_LABELS), (e: unknown) => e instanceof EngineError && /\[3, 3\]/.test(e.message));
  assert.throws(() => aggregateWindows([], [], SEQUENCE_LABELS), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});
