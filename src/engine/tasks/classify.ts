/**
 * Sequence classification of whole notes.
 *
 * Aggregation for notes longer than one window: each window's logits become
 * softmax probabilities, and the note's probabilities are the mean of the
 * windows' probabilities weighted by the number of content tokens each window
 * is responsible for -- the tokens for which it is the most central window (the
 * same rule NER stitching uses). Weights therefore sum to the note's token
 * count, overlaps are not counted twice, and a short tail window weighs little.
 */
import { EngineError } from '../errors';
import type { LoadedModel, TensorOut } from '../host';
import type { TokenWindow } from '../text/types';
import { chooseTaskHead, HOW_TO_GET_A_SEQUENCE_HEAD } from './heads';

export interface ClassifyResult {
  label: string;
  /** probability per label, in id2label order, summing to 1 */
  scores: Record<string, number>;
  /** windows the note was split into */
  windows: number;
  /** true when the model or head has random weights: the labels mean nothing */
  demo?: boolean;
}

export function softmax(data: Float32Array | number[], offset = 0, n = data.length - offset): number[] {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, data[offset + j]!);
  const out = new Array<number>(n);
  let sum = 0;
  for (let j = 0; j < n; j++) {
    out[j] = Math.exp(data[offset + j]! - max);
    sum += out[j]!;
  }
  for (let j = 0; j < n; j++) out[j] = out[j]! / sum;
  return out;
}

/** Tokens each window is responsible for: those where it is the most central window (ties: earlier window). */
export function windowWeights(windows: readonly TokenWindow[]): number[] {
  const weights = windows.map(() => 0);
  const best = new Map<number, { window: number; centrality: number }>();
  windows.forEach((w, wi) => {
    const last = w.tokenEnd - w.tokenStart - 1;
    for (let g = w.tokenStart; g < w.tokenEnd; g++) {
      const k = g - w.tokenStart;
      const c = Math.min(k, last - k);
      const prev = best.get(g);
      if (!prev || c > prev.centrality) best.set(g, { window: wi, centrality: c });
    }
  });
  for (const { window } of best.values()) weights[window]!++;
  return weights;
}

export function aggregateWindows(windows: readonly TokenWindow[], logits: readonly TensorOut[], labels: readonly string[]): ClassifyResult {
  if (windows.length === 0) throw new EngineError('bad-input', 'The note is empty: there is nothing to classify.');
  const n = labels.length;
  for (const t of logits) {
    if (t.dims.length !== 1 || t.dims[0] !== n) {
      throw new EngineError(
        'unsupported-model',
        `The model's logits have shape [${t.dims.join(', ')}], not one score per label ([${n}]): it has no sequence-classification head. ${HOW_TO_GET_A_SEQUENCE_HEAD}`,
      );
    }
  }
  let weights = windowWeights(windows);
  // a note with no content tokens still has one window: weigh it
  if (weights.every((w) => w === 0)) weights = weights.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const probs = new Array<number>(n).fill(0);
  logits.forEach((t, wi) => {
    const p = softmax(t.data, 0, n);
    for (let j = 0; j < n; j++) probs[j]! += (p[j]! * weights[wi]!) / total;
  });
  let best = 0;
  for (let j = 1; j < n; j++) if (probs[j]! > probs[best]!) best = j;
  const scores: Record<string, number> = {};
  labels.forEach((l, j) => (scores[l] = probs[j]!));
  return { label: labels[best]!, scores, windows: windows.length };
}

/** Classifies a note with the loaded model's sequence-classification head, or the named head folder (heads.ts). */
export async function classifyText(model: LoadedModel, text: string, signal?: AbortSignal, headName?: string): Promise<ClassifyResult> {
  const head = chooseTaskHead(model, 'sequence', headName);
  if (!head) {
    throw new EngineError('unsupported-model', `The loaded model (${model.info.name}) has no sequence-classification head. ${HOW_TO_GET_A_SEQUENCE_HEAD}`);
  }
  if (text.trim().length === 0) throw new EngineError('bad-input', 'The note is empty: there is nothing to classify.');
  const windows = model.windows(text);
  const out = await model.run(
    windows.map((w) => w.ids),
    ['logits'],
    signal,
    head.runOptions,
  );
  const result = aggregateWindows(
    windows,
    out.map((o) => {
      const t = o['logits'];
      if (!t) throw new EngineError('unsupported-model', `The model (${model.info.name}) produced no "logits" output. ${HOW_TO_GET_A_SEQUENCE_HEAD}`);
      return t;
    }),
    head.labels,
  );
  // honest degradation: random weights still produce probabilities; say so
  if (model.info.demo || head.demo) result.demo = true;
  return result;
}
