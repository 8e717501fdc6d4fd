import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketByLength, padBatch } from '../../../src/engine/model/batching';
import { EngineError } from '../../../src/engine/errors';

test('bucketing sorts windows by length so each batch pads to similar lengths', () => {
  const lengths = [50, 3, 40, 4, 41, 5];
  assert.deepEqual(bucketByLength(lengths, 2), [[1, 3], [5, 2], [4, 0]]);
  // unsorted keeps input order (the baseline the benchmark compares against)
  assert.deepEqual(bucketByLength(lengths, 4, false), [[0, 1, 2, 3], [4, 5]]);
});

test('bucketing is deterministic for equal lengths and rejects a bad batch size', () => {
  assert.deepEqual(bucketByLength([7, 7, 7], 2), [[0, 1], [2]]);
  assert.deepEqual(bucketByLength([], 8), []);
  assert.throws(() => bucketByLength([1], 0), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});

test('padBatch pads to the longest window, with a mask of ones over real tokens', () => {
  const b = padBatch([[101, 5, 6, 102], [101, 102], [101, 7, 102]], 0);
  assert.equal(b.batch, 3);
  assert.equal(b.seqLen, 4);
  assert.deepEqual([...b.inputIds], [101n, 5n, 6n, 102n, 101n, 102n, 0n, 0n, 101n, 7n, 102n, 0n]);
  assert.deepEqual([...b.attentionMask], [1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n, 1n, 1n, 1n, 0n]);
  const padded = padBatch([[1], [1, 2, 3]], 50283);
  assert.deepEqual([...padded.inputIds], [1n, 50283n, 50283n, 1n, 2n, 3n]);
});

test('padBatch refuses empty batches and ids that are not token ids', () => {
  const badInput = (e: unknown) => e instanceof EngineError && e.code === 'bad-input';
  assert.throws(() => padBatch([], 0), badInput);
  assert.throws(() => padBatch([[]], 0), badInput);
  assert.throws(() => padBatch([[1, -1]], 0), badInput);
  assert.throws(() => padBatch([[1, 2.5]], 0), badInput);
});

test('bucketByLength groups similar lengths, ties by index, deterministically', () => {
  const lengths = [50, 3, 120, 3, 60, 7, 118];
  assert.deepEqual(bucketByLength(lengths, 3), [[1, 3, 5], [0, 4, 6], [2]]);
  assert.deepEqual(bucketByLength(lengths, 3), bucketByLength([...lengths], 3));
  assert.deepEqual(bucketByLength([], 4), []);
  assert.deepEqual(bucketByLength([5, 4], 10), [[1, 0]]);
  assert.throws(() => bucketByLength(lengths, 0), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});

test('a token budget makes batches of short and long windows the same size in padded tokens', () => {
  // 8 windows of 64 tokens and 4 of 512: with 1024 tokens per batch, 16 short windows could share one batch
  const lengths = [...Array(8).fill(64), ...Array(4).fill(512)];
  const batches = bucketByLength(lengths, 64, true, 1024);
  assert.deepEqual(batches, [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9], [10, 11]]);
  for (const b of batches) assert.ok(b.length * Math.max(...b.map((i) => lengths[i]!)) <= 1024);
  // the window count still caps a batch
  assert.deepEqual(bucketByLength(Array(5).fill(10), 2, true, 1_000_000), [[0, 1], [2, 3], [4]]);
  // a window longer than the budget runs alone instead of being dropped
  assert.deepEqual(bucketByLength([3000, 10], 8, true, 1024), [[1], [0]]);
  // in input order the longest window so far sets the padding
  assert.deepEqual(bucketByLength([10, 600, 10, 10], 8, false, 1024), [[0], [1], [2, 3]]);
  assert.throws(() => bucketByLength([1], 2, true, 0), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});
