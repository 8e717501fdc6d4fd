/**
 * Length-bucketed batching: windows are sorted by length and padded per batch,
 * so a batch of short windows does not pay for one long window's padding.
 */
import type { BatchInputs } from './session';

/** Batches of window indices, each batch holding windows of similar length. Deterministic: ties keep input order. */
export function bucketByLength(lengths: readonly number[], batchSize: number, sorted = true): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const order = lengths.map((_, i) => i);
  if (sorted) order.sort((a, b) => lengths[a] - lengths[b] || a - b);
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** Pads the windows of one batch to its longest with padId; the mask marks real tokens. */
export function padBatch(windows: readonly (readonly number[])[], padId: number): BatchInputs {
  const batch = windows.length;
  const seqLen = Math.max(1, ...windows.map((w) => w.length));
  const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seqLen);
  windows.forEach((w, b) => {
    const row = b * seqLen;
    for (let t = 0; t < w.length; t++) {
      inputIds[row + t] = BigInt(w[t]);
      attentionMask[row + t] = 1n;
    }
  });
  return { inputIds, attentionMask, batch, seqLen };
}
