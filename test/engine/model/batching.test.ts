import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketByLength, padBatch } from '../../../src/engine/model/batching';

test('bucketing sorts windows by length so each batch pads to similar lengths', () => {
  const lengths = [50, 3, 40, 4, 41, 5];
  assert.deepEqual(bucketByLength(lengths, 2), [[1, 3], [5, 2], [4, 0]]);
  // unsorted keeps input order (the baseline the benchmark compares against)
  assert.deepEqual(bucketByLength(lengths, 4, false), [[0, 1, 2, 3], [4, 5]]);
});

test('bucketing is deterministic for equal lengths and rejects a bad batch size', () => {
  assert.deepEqual(bucketByLength([7, 7, 7], 2), [[0, 1], [2]]);
  assert.deepEqual(bucketByLength([], 8), []);
  assert.throws(() => bucketByLength([1], 0), RangeError);
});

test('padBatch pads to the longest window and masks the padding', () => {
  const b = padBatch([[2, 10, 3], [2, 3]], 0);
  assert.equal(b.batch, 2);
  assert.equal(b.seqLen, 3);
  assert.deepEqual(Array.from(b.inputIds, Number), [2, 10, 3, 2, 3, 0]);
  assert.deepEqual(Array.from(b.attentionMask, Number), [1, 1, 1, 1, 1, 0]);
  const p = padBatch([[1]], 50283);
  assert.deepEqual(Array.from(p.inputIds, Number), [1]);
});
