import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aurocOf, chunksOf, classificationMetrics, entityMetrics } from '../../../src/engine/train/metrics';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

test("seqeval's README example: micro 0.50, accuracy 0.80, MISC 0 and PER 1, macro 0.50", () => {
  const gold = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const pred = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const m = entityMetrics(gold, pred);
  close(m.micro.f1, 0.5, 'micro f1');
  close(m.micro.precision, 0.5, 'micro precision');
  close(m.micro.recall, 0.5, 'micro recall');
  close(m.tokenAccuracy, 0.8, 'accuracy');
  assert.deepEqual(m.perLabel['MISC'], { precision: 0, recall: 0, f1: 0, support: 1 });
  assert.deepEqual(m.perLabel['PER'], { precision: 1, recall: 1, f1: 1, support: 1 });
  close(m.macro.f1, 0.5, 'macro f1');
  assert.deepEqual(m.counts, { gold: 2, predicted: 2, correct: 1 });
  assert.equal(m.tokens, 10);
});

test('I- without B-: an entity in default (conlleval) mode, none in strict IOB2 mode', () => {
  const gold = [['O', 'B-PER', 'I-PER', 'O']];
  const pred = [['O', 'I-PER', 'I-PER', 'O']];
  assert.deepEqual(chunksOf(pred[0]!, 'default'), [{ type: 'PER', start: 1, end: 3 }]);
  assert.deepEqual(chunksOf(pred[0]!, 'strict'), []);
  assert.equal(entityMetrics(gold, pred, 'default').micro.f1, 1);
  const strict = entityMetrics(gold, pred, 'strict');
  assert.deepEqual(strict.micro, { precision: 0, recall: 0, f1: 0, support: 1 });
  // an I- after O in the middle of a sentence starts a chunk too (default), and a B-X I-Y turns type
  assert.deepEqual(chunksOf(['B-X', 'I-Y', 'O', 'I-X'], 'default'), [{ type: 'X', start: 0, end: 1 }, { type: 'Y', start: 1, end: 2 }, { type: 'X', start: 3, end: 4 }]);
  assert.deepEqual(chunksOf(['B-X', 'I-Y', 'O', 'I-X'], 'strict'), [{ type: 'X', start: 0, end: 1 }]);
});

test('adjacent entities of one type are two entities only when the second starts with B-', () => {
  assert.deepEqual(chunksOf(['B-X', 'B-X']), [{ type: 'X', start: 0, end: 1 }, { type: 'X', start: 1, end: 2 }]);
  assert.deepEqual(chunksOf(['B-X', 'I-X']), [{ type: 'X', start: 0, end: 2 }]);
  const gold = [['B-X', 'B-X']];
  assert.deepEqual(entityMetrics(gold, [['B-X', 'I-X']]).counts, { gold: 2, predicted: 1, correct: 0 });
  assert.deepEqual(entityMetrics(gold, [['I-X', 'I-X']]).counts, { gold: 2, predicted: 1, correct: 0 });
  assert.equal(entityMetrics(gold, [['B-X', 'B-X']]).micro.f1, 1);
  assert.equal(entityMetrics(gold, [['B-X', 'B-X']], 'strict').micro.f1, 1);
});

test('entities never cross documents, and exact boundaries and type are required', () => {
  // the end of one document and the start of the next would be one chunk if concatenated without a break
  const m = entityMetrics([['O', 'B-X'], ['I-X', 'O']], [['O', 'B-X'], ['I-X', 'O']]);
  assert.deepEqual(m.counts, { gold: 2, predicted: 2, correct: 2 });
  // a boundary off by one word, or the wrong type, is a miss and a false alarm
  assert.deepEqual(entityMetrics([['B-X', 'I-X', 'O']], [['B-X', 'O', 'O']]).counts, { gold: 1, predicted: 1, correct: 0 });
  assert.deepEqual(entityMetrics([['B-X', 'I-X']], [['B-Y', 'I-Y']]).counts, { gold: 1, predicted: 1, correct: 0 });
});

test('macro averages every type in gold or prediction; a zero denominator gives 0', () => {
  const m = entityMetrics([['B-X', 'O', 'B-X']], [['B-X', 'O', 'B-Y']]);
  assert.deepEqual(Object.keys(m.perLabel), ['X', 'Y']);
  assert.deepEqual(m.perLabel['Y'], { precision: 0, recall: 0, f1: 0, support: 0 });
  close(m.perLabel['X']!.f1, 2 / 3, 'X f1');
  close(m.micro.f1, 0.5, 'micro');
  close(m.macro.f1, 1 / 3, 'macro f1');
  close(m.macro.precision, 0.5, 'macro precision');
  // nothing predicted, nothing gold: all zero, no NaN
  const empty = entityMetrics([['O']], [['O']]);
  assert.deepEqual(empty.micro, { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.equal(empty.tokenAccuracy, 1);
});

test('BILOU (and IOBES) tags chunk as seqeval chunks IOBES', () => {
  assert.deepEqual(chunksOf(['U-X', 'B-Y', 'L-Y', 'S-Z', 'O']), [{ type: 'X', start: 0, end: 1 }, { type: 'Y', start: 1, end: 3 }, { type: 'Z', start: 3, end: 4 }]);
});

test('mismatched lengths are refused rather than scored', () => {
  assert.throws(() => entityMetrics([['O']], []), /1 gold and 0 predicted/);
  assert.throws(() => entityMetrics([['O', 'O']], [['O']]), /document 0 has 2 gold and 1 predicted/);
});

test('classification: accuracy, per class, macro-F1, confusion (gold rows) and AUROC of the second label', () => {
  const m = classificationMetrics(['a', 'b'], [0, 0, 1, 1], [0, 1, 1, 1], [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]]);
  close(m.accuracy, 0.75, 'accuracy');
  close(m.perClass['a']!.precision, 1, 'a precision');
  close(m.perClass['a']!.recall, 0.5, 'a recall');
  close(m.perClass['b']!.precision, 2 / 3, 'b precision');
  close(m.perClass['b']!.f1, 0.8, 'b f1');
  close(m.macroF1, (2 / 3 + 0.8) / 2, 'macro f1');
  assert.deepEqual(m.confusion, [[1, 1], [0, 2]]);
  assert.equal(m.auroc, 1);
  assert.equal(m.examples, 4);
  // three classes: no AUROC
  assert.equal(classificationMetrics(['a', 'b', 'c'], [0, 1, 2], [0, 1, 2], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]).auroc, null);
  // a class neither in gold nor predicted does not pull macro-F1 down
  close(classificationMetrics(['a', 'b', 'c'], [0, 1], [0, 1]).macroF1, 1, 'macro over present classes');
});

test('AUROC: ranks with ties counted one half; undefined with one class', () => {
  assert.equal(aurocOf([true, false], [0.5, 0.5]), 0.5);
  assert.equal(aurocOf([true, false, true, false], [0.9, 0.8, 0.3, 0.1]), 0.75);
  assert.equal(aurocOf([false, true], [0.9, 0.1]), 0);
  assert.equal(aurocOf([true, true], [0.9, 0.1]), null);
});
