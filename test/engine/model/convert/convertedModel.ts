/**
 * Test support: generate a tiny checkpoint, convert it, run it in
 * onnxruntime-node, and compare with the float64 reference.
 */
import '../../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointWeights } from '../../../../src/engine/model/convert/checkpointWeights';
import { ensureOnnx } from '../../../../src/engine/model/convert/convert';
import { inspectModelFolder, type ModelFolder } from '../../../../src/engine/model/folder';
import { makeTestModel, type MakeTestModelOptions } from '../../../../src/engine/model/testModel';
import { referenceBert, referenceModernBert, type ReferenceOutput } from '../referenceEncoder';

export const scratch = mkdtempSync(join(tmpdir(), 'cmb-convert-'));

/** a stand-in tokenizer.json with ids 0..511, enough for the folder checks */
export function writeStubTokenizer(dir: string, ids = 512): void {
  const vocab = Object.fromEntries(Array.from({ length: ids }, (_, i) => [`t${i}`, i]));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'WordLevel', vocab }, added_tokens: [] }));
}

export interface Converted {
  folder: ModelFolder;
  onnxPath: string;
  session: ort.InferenceSession;
  weights: CheckpointWeights;
}

let counter = 0;
export async function convertTestModel(opts: Omit<MakeTestModelOptions, 'out'>): Promise<Converted> {
  const out = join(scratch, `${opts.arch}-${opts.head ?? 'none'}-${counter++}`);
  makeTestModel({ std: 0.1, randomNorms: true, ...opts, out });
  writeStubTokenizer(out);
  const folder = inspectModelFolder(out);
  const { onnxPath } = ensureOnnx(folder);
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  return { folder, onnxPath, session, weights: CheckpointWeights.open(folder.safetensorsFiles) };
}

export interface Batch {
  ids: number[][];
  /** real lengths; the rest of each row is padding */
  lengths: number[];
}

export function padBatch(seqs: number[][], padId = 0): Batch {
  const S = Math.max(...seqs.map((s) => s.length));
  return { ids: seqs.map((s) => [...s, ...Array(S - s.length).fill(padId)]), lengths: seqs.map((s) => s.length) };
}

export function maskOf(b: Batch): number[][] {
  return b.ids.map((row, r) => row.map((_, t) => (t < b.lengths[r]! ? 1 : 0)));
}

export async function runModel(c: Converted, b: Batch): Promise<Record<string, ort.Tensor>> {
  const B = b.ids.length;
  const S = b.ids[0]!.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(b.ids.flat().map(BigInt)), [B, S]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(maskOf(b).flat().map(BigInt)), [B, S]),
  };
  if (c.session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(B * S), [B, S]);
  return c.session.run(feeds);
}

export function reference(c: Converted, ids: number[], mask: number[]): ReferenceOutput {
  const cfg = c.folder.config;
  const head = cfg.architectures[0]!.includes('MaskedLM') ? 'mlm' : cfg.architectures[0]!.includes('TokenClassification') ? 'token' : cfg.architectures[0]!.includes('SequenceClassification') ? 'sequence' : 'none';
  return (cfg.modelType === 'bert' ? referenceBert : referenceModernBert)(cfg, c.weights, ids, mask, head);
}

/** max |a - b| over rows [0, rows) of width `width`, reading a at row offset `aOffset` */
export function maxDiffRows(a: ArrayLike<number>, aOffset: number, b: ArrayLike<number>, rows: number, width: number): number {
  let max = 0;
  for (let i = 0; i < rows * width; i++) max = Math.max(max, Math.abs(a[aOffset + i]! - b[i]!));
  return max;
}

/** runs a padded batch and returns the worst difference from the reference at real positions (layers: the hidden_states.<i> outputs) */
export async function diffFromReference(c: Converted, b: Batch): Promise<{ hidden: number; logits: number; layers: number }> {
  const out = await runModel(c, b);
  const H = c.folder.config.hiddenSize;
  const S = b.ids[0]!.length;
  const hidden = out['last_hidden_state']!.data as Float32Array;
  const logits = out['logits'];
  let dh = 0;
  let dl = 0;
  let dLayers = 0;
  for (let r = 0; r < b.ids.length; r++) {
    const len = b.lengths[r]!;
    const ref = reference(c, b.ids[r]!, maskOf(b)[r]!);
    dh = Math.max(dh, maxDiffRows(hidden, r * S * H, ref.hidden, len, H));
    for (let l = 1; l < ref.layers.length; l++) {
      const t = out[`hidden_states.${l}`];
      if (!t) throw new Error(`no hidden_states.${l} output`);
      dLayers = Math.max(dLayers, maxDiffRows(t.data as Float32Array, r * S * H, ref.layers[l - 1]!, len, H));
    }
    if (logits && ref.logits) {
      const data = logits.data as Float32Array;
      if (logits.dims.length === 2) {
        const L = logits.dims[1]!;
        dl = Math.max(dl, maxDiffRows(data, r * L, ref.logits, 1, L));
      } else {
        const L = logits.dims[2]!;
        dl = Math.max(dl, maxDiffRows(data, r * S * L, ref.logits, len, L));
      }
    } else if (logits || ref.logits) {
      throw new Error('logits present on one side only');
    }
  }
  return { hidden: dh, logits: dl, layers: dLayers };
}

/** deterministic token ids in [5, 512): past the test tokenizer's special tokens */
export function sampleIds(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => 5 + ((i * 131 + seed * 977 + ((i * i * 7) % 31)) % 507));
}
