/**
 * Length-bucketed batching: windows are sorted by length and padded per batch,
 * so a batch of short windows does not pay for one long window's padding.
 */
import { EngineError } from '../errors';

export interface PaddedBatch {
  /** [batch, seqLen] row-major, padded with the tokenizer's [PAD] id */
  inputIds: BigInt64Array;
  /** 1 for real tokens, 0 for padding */
  attentionMask: BigInt64Array;
  batch: number;
  seqLen: number;
}

/** Pads windows to the longest one: the int64 tensors an encoder takes. */
export function padBatch(windows: readonly (readonly number[])[], padId: number): PaddedBatch {
  if (windows.length === 0) throw new EngineError('bad-input', 'A batch needs at least one window.');
  let seqLen = 0;
  for (const w of windows) seqLen = Math.max(seqLen, w.length);
  if (seqLen === 0) throw new EngineError('bad-input', 'Every window in the batch is empty; a window holds at least [CLS] and [SEP].');
  const batch = windows.length;
  const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seqLen);
  windows.forEach((w, b) => {
    const row = b * seqLen;
    for (let i = 0; i < w.length; i++) {
      const id = w[i];
      if (!Number.isInteger(id) || id < 0) throw new EngineError('bad-input', `Token ids must be non-negative integers; window ${b} has ${id}.`);
      inputIds[row + i] = BigInt(id);
      attentionMask[row + i] = 1n;
    }
  });
  return { inputIds, attentionMask, batch, seqLen };
}

/**
 * Batches of indices into `lengths`, formed from items of similar length so
 * little compute goes to padding: sorted by length (ties by index, so the
 * same input always gives the same batches), then cut when a batch holds
 * `batchSize` items or one more would pad it past `maxTokens` tokens
 * (items x longest item). A token budget makes a batch of short windows and
 * one of long windows cost the same memory; an item longer than the budget
 * is a batch of its own.
 */
export function bucketByLength(lengths: readonly number[], batchSize: number, sorted = true, maxTokens = Infinity): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new EngineError('bad-input', `Batch size must be a positive integer; got ${batchSize}.`);
  if (!(maxTokens >= 1)) throw new EngineError('bad-input', `The batch token budget must be a positive number; got ${maxTokens}.`);
  const order = lengths.map((_, i) => i);
  // unsorted: batches in input order, the baseline the encoder benchmark compares against
  if (sorted) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let longest = 0;
  for (const i of order) {
    const nextLongest = Math.max(longest, lengths[i]!);
    if (current.length > 0 && (current.length >= batchSize || (current.length + 1) * nextLongest > maxTokens)) {
      batches.push(current);
      current = [];
      longest = 0;
    }
    current.push(i);
    longest = Math.max(longest, lengths[i]!);
  }
  if (current.length) batches.push(current);
  return batches;
}

