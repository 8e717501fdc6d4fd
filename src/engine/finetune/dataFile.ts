/**
 * The fine-tuning companion's input: the aligned splits as tensors in a
 * safetensors file ("cmb-finetune-data", version 1; companion/README.md is the
 * reference). The companion never tokenizes, so everything that decides what
 * is learnt and how it is scored is fixed here, by the engine's own code:
 *
 * - token ids of each window exactly as inference builds them (windows.ts);
 * - ner labels: the word's IOB2 tag on its first piece in every window that
 *   holds it (align.ts windowTargets), -100 elsewhere;
 * - ner eval_mask: 1 on the one window per token that inference reads it from
 *   (the most central; ties go to the earlier window, nerDecode's stitching),
 *   so the companion's per-document tags are the words' tags in order;
 * - classify window_weight: the tokens each window is most central for
 *   (classify.ts windowWeights; all 1 when every weight is 0), as inference
 *   averages a note's window probabilities.
 *
 * The file holds token ids of notes: it is written 0600, and the caller keeps
 * it in a private folder and deletes it after the run.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { EngineError } from '../errors';
import { contentPositions } from '../tasks/nerDecode';
import { windowWeights } from '../tasks/classify';
import { IGNORE, windowTargets, type AlignedDocument } from '../data/align';

export const DATA_FORMAT = 'cmb-finetune-data';
export const DATA_VERSION = '1';

export type SplitName = 'train' | 'dev' | 'test';

type Dtype = 'I32' | 'U8' | 'F32';

interface Tensor {
  name: string;
  dtype: Dtype;
  data: Int32Array | Uint8Array | Float32Array;
}

export interface DataFileMetadata {
  task: 'ner' | 'classify';
  id2label: readonly string[];
  padTokenId: number;
  maxTokens: number;
  modelFingerprint: string;
  datasetFingerprint: string;
}

export interface SplitTensors {
  windows: number;
  tokens: number;
  documents: number;
  /** tokens that carry a label (ner) or windows (classify) */
  labelled: number;
}

/**
 * Per window, 1 where this window is the one inference reads the token from:
 * the window where the token is most central, the earlier on a tie.
 */
export function evalMasks(doc: AlignedDocument): Uint8Array[] {
  const chosen = new Map<number, { window: number; centrality: number }>();
  doc.windows.forEach((w, wi) => {
    const last = w.tokenEnd - w.tokenStart - 1;
    for (let k = 0; k < w.tokenEnd - w.tokenStart; k++) {
      const g = w.tokenStart + k;
      const c = Math.min(k, last - k);
      const prev = chosen.get(g);
      if (!prev || c > prev.centrality) chosen.set(g, { window: wi, centrality: c });
    }
  });
  return doc.windows.map((w, wi) => {
    const mask = new Uint8Array(w.ids.length);
    const positions = contentPositions(w);
    for (let k = 0; k < positions.length; k++) if (chosen.get(w.tokenStart + k)?.window === wi) mask[positions[k]!] = 1;
    return mask;
  });
}

/** The tensors of one split, named SPLIT.FIELD. */
export function splitTensors(split: SplitName, docs: readonly AlignedDocument[], task: 'ner' | 'classify', labels: readonly string[]): { tensors: Tensor[]; summary: SplitTensors } {
  const index = new Map(labels.map((l, i) => [l, i]));
  let tokens = 0;
  let windows = 0;
  for (const d of docs) {
    windows += d.windows.length;
    for (const w of d.windows) tokens += w.ids.length;
  }
  const ids = new Int32Array(tokens);
  const lengths = new Int32Array(windows);
  const docIndex = new Int32Array(windows);
  const tokenLabels = task === 'ner' ? new Int32Array(tokens) : undefined;
  const mask = task === 'ner' ? new Uint8Array(tokens) : undefined;
  const windowLabels = task === 'classify' ? new Int32Array(windows) : undefined;
  const weights = task === 'classify' ? new Float32Array(windows) : undefined;
  let t = 0;
  let wi = 0;
  let labelled = 0;
  docs.forEach((doc, di) => {
    const targets = task === 'ner' ? windowTargets(doc, index) : undefined;
    const masks = task === 'ner' ? evalMasks(doc) : undefined;
    let ww = task === 'classify' ? windowWeights(doc.windows) : undefined;
    if (ww?.every((x) => x === 0)) ww = ww.map(() => 1);
    const label = task === 'classify' ? index.get(doc.label!) : undefined;
    if (task === 'classify' && label === undefined) throw new EngineError('internal', `Document ${doc.id}: its label is not among the labels.`);
    let scored = 0;
    let lastScored = -1;
    doc.windows.forEach((w, k) => {
      ids.set(w.ids, t);
      lengths[wi] = w.ids.length;
      docIndex[wi] = di;
      if (tokenLabels && targets && mask && masks) {
        tokenLabels.set(targets[k]!, t);
        mask.set(masks[k]!, t);
        const positions = contentPositions(w);
        for (let p = 0; p < w.ids.length; p++) if (targets[k]![p] !== IGNORE) labelled++;
        positions.forEach((p, j) => {
          if (targets[k]![p] === IGNORE || !masks[k]![p]) return;
          const g = w.tokenStart + j;
          if (g <= lastScored) throw new EngineError('internal', `Document ${doc.id}: scored tokens out of reading order.`);
          lastScored = g;
          scored++;
        });
      }
      if (windowLabels && weights) {
        windowLabels[wi] = label!;
        weights[wi] = ww![k]!;
        labelled++;
      }
      t += w.ids.length;
      wi++;
    });
    // each word is scored once, on its first piece, in reading order: the companion's tags per document are the words' tags
    if (task === 'ner' && scored !== doc.words.length) {
      throw new EngineError('internal', `Document ${doc.id}: ${scored} scored tokens for ${doc.words.length} words.`);
    }
  });
  const tensors: Tensor[] = [
    { name: `${split}.input_ids`, dtype: 'I32', data: ids },
    { name: `${split}.lengths`, dtype: 'I32', data: lengths },
    { name: `${split}.labels`, dtype: 'I32', data: tokenLabels ?? windowLabels! },
    { name: `${split}.doc_index`, dtype: 'I32', data: docIndex },
    task === 'ner' ? { name: `${split}.eval_mask`, dtype: 'U8', data: mask! } : { name: `${split}.window_weight`, dtype: 'F32', data: weights! },
  ];
  return { tensors, summary: { windows, tokens, documents: docs.length, labelled } };
}

/** Writes the data file (0600, fsynced); returns each split's sizes. */
export function writeDataFile(path: string, meta: DataFileMetadata, splits: Partial<Record<SplitName, readonly AlignedDocument[]>>): Record<string, SplitTensors> {
  const tensors: Tensor[] = [];
  const summary: Record<string, SplitTensors> = {};
  for (const name of ['train', 'dev', 'test'] as const) {
    const docs = splits[name];
    if (!docs || docs.length === 0) continue;
    const r = splitTensors(name, docs, meta.task, meta.id2label);
    tensors.push(...r.tensors);
    summary[name] = r.summary;
  }
  const header: Record<string, unknown> = {
    __metadata__: {
      format: DATA_FORMAT,
      version: DATA_VERSION,
      task: meta.task,
      id2label: JSON.stringify(meta.id2label),
      pad_token_id: String(meta.padTokenId),
      max_tokens: String(meta.maxTokens),
      model_fingerprint: meta.modelFingerprint,
      dataset_fingerprint: meta.datasetFingerprint,
    },
  };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: [t.data.length], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const fd = openSync(path, 'wx', 0o600);
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeSync(fd, len);
    writeSync(fd, headerBytes);
    // typed arrays are in the machine's byte order; safetensors is little-endian, as is every platform Node runs on here
    for (const t of tensors) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return summary;
}
