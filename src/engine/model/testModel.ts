/**
 * Deterministic random checkpoints (config.json + model.safetensors) in the
 * exact layout transformers saves, so every test and benchmark runs offline
 * without unexplained binary blobs. config.json carries "cmb_test_model": true
 * and the product flags such models as demo / random weights.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededUniform } from '../seededRandom';
import { writeSafetensors, type TensorToWrite } from './safetensors';

export type TestArch = 'bert' | 'modernbert';
export type TestHead = 'mlm' | 'token' | 'sequence';

export interface TestModelSizes {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  padTokenId: number;
  /** ModernBERT only */
  globalAttnEveryNLayers: number;
  localAttention: number;
}

/** tiny: tests. ModernBERT gets 3 layers, every 2nd global, window 8, so both layer kinds and the window matter. */
export function tinySizes(arch: TestArch): TestModelSizes {
  return {
    vocabSize: 512, hidden: 32, layers: arch === 'modernbert' ? 3 : 2, heads: 4, intermediate: 64, maxPositions: 512, padTokenId: 0,
    globalAttnEveryNLayers: 2, localAttention: 8,
  };
}

/** the released Clinical ModernBERT's sizes (its config says model_type "bert"), for benchmarks */
export const realSizes: TestModelSizes = {
  vocabSize: 50368, hidden: 768, layers: 22, heads: 12, intermediate: 1152, maxPositions: 8192, padTokenId: 50283,
  globalAttnEveryNLayers: 3, localAttention: 128,
};

export const testTokenLabels = ['O', 'B-PROBLEM', 'I-PROBLEM', 'B-TEST', 'I-TEST', 'B-TREATMENT', 'I-TREATMENT'];
export const testSequenceLabels = ['discharge_summary', 'radiology', 'progress_note'];

export interface MakeTestModelOptions {
  arch: TestArch;
  head?: TestHead;
  out: string;
  sizes?: 'tiny' | 'real' | Partial<TestModelSizes>;
  seed?: number;
  /** standard deviation of weights and linear biases (default 0.02, as transformers initialises) */
  std?: number;
  /** LayerNorm weights 1 + noise and biases noise instead of 1 and 0, so tests see a miswired norm */
  randomNorms?: boolean;
  /** extra or replaced config.json fields (e.g. classifier_pooling) */
  configOverrides?: Record<string, unknown>;
  /**
   * tokenizer.json to write beside the weights. The test tokenizer comes from
   * src/engine/text/testTokenizer.ts; the caller plugs it in here.
   */
  tokenizerJson?: string | object;
}

export interface TestModelFiles {
  dir: string;
  configPath: string;
  safetensorsPath: string;
  config: Record<string, unknown>;
}

/** a normal(0, std) generator (Box-Muller), seeded per tensor so tensors do not depend on generation order */
function normalFill(n: number, std: number, seed: number): Float32Array {
  const u = seededUniform(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u())) * std;
    const th = 2 * Math.PI * u();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

function nameSeed(seed: number, name: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class TensorPlan {
  readonly tensors: TensorToWrite[] = [];
  constructor(
    private readonly seed: number,
    private readonly std: number,
    private readonly randomNorms: boolean,
  ) {}

  random(name: string, shape: number[]): void {
    const n = shape.reduce((a, b) => a * b, 1);
    this.tensors.push({ name, shape, data: () => normalFill(n, this.std, nameSeed(this.seed, name)) });
  }

  norm(base: string, hidden: number, bias = true, weightKey = 'weight', biasKey = 'bias'): void {
    const seed = nameSeed(this.seed, base);
    this.tensors.push({
      name: `${base}.${weightKey}`, shape: [hidden],
      data: () => (this.randomNorms ? normalFill(hidden, 0.1, seed).map((v) => 1 + v) : new Float32Array(hidden).fill(1)),
    });
    if (bias) this.tensors.push({ name: `${base}.${biasKey}`, shape: [hidden], data: () => (this.randomNorms ? normalFill(hidden, 0.1, seed + 1) : new Float32Array(hidden)) });
  }

  linear(base: string, out: number, inp: number, bias = true): void {
    this.random(`${base}.weight`, [out, inp]);
    if (bias) this.random(`${base}.bias`, [out]);
  }
}

function labelMaps(labels: string[]): Record<string, unknown> {
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}

function bertPlan(s: TestModelSizes, head: TestHead | undefined, plan: TensorPlan, labels: number): void {
  const p = head ? 'bert.' : '';
  const H = s.hidden;
  plan.random(`${p}embeddings.word_embeddings.weight`, [s.vocabSize, H]);
  plan.random(`${p}embeddings.position_embeddings.weight`, [s.maxPositions, H]);
  plan.random(`${p}embeddings.token_type_embeddings.weight`, [2, H]);
  plan.norm(`${p}embeddings.LayerNorm`, H);
  for (let i = 0; i < s.layers; i++) {
    const l = `${p}encoder.layer.${i}`;
    for (const x of ['query', 'key', 'value']) plan.linear(`${l}.attention.self.${x}`, H, H);
    plan.linear(`${l}.attention.output.dense`, H, H);
    plan.norm(`${l}.attention.output.LayerNorm`, H);
    plan.linear(`${l}.intermediate.dense`, s.intermediate, H);
    plan.linear(`${l}.output.dense`, H, s.intermediate);
    plan.norm(`${l}.output.LayerNorm`, H);
  }
  if (head === undefined || head === 'sequence') plan.linear(`${p}pooler.dense`, H, H);
  if (head === 'mlm') {
    plan.linear('cls.predictions.transform.dense', H, H);
    plan.norm('cls.predictions.transform.LayerNorm', H);
    plan.random('cls.predictions.bias', [s.vocabSize]); // decoder tied to the word embeddings, as transformers saves it
  } else if (head) {
    plan.linear('classifier', labels, H);
  }
}

function modernBertPlan(s: TestModelSizes, head: TestHead | undefined, plan: TensorPlan, labels: number): void {
  const p = head ? 'model.' : '';
  const H = s.hidden;
  plan.random(`${p}embeddings.tok_embeddings.weight`, [s.vocabSize, H]);
  plan.norm(`${p}embeddings.norm`, H, false);
  for (let i = 0; i < s.layers; i++) {
    const l = `${p}layers.${i}`;
    if (i > 0) plan.norm(`${l}.attn_norm`, H, false);
    plan.linear(`${l}.attn.Wqkv`, 3 * H, H, false);
    plan.linear(`${l}.attn.Wo`, H, H, false);
    plan.norm(`${l}.mlp_norm`, H, false);
    plan.linear(`${l}.mlp.Wi`, 2 * s.intermediate, H, false);
    plan.linear(`${l}.mlp.Wo`, H, s.intermediate, false);
  }
  plan.norm(`${p}final_norm`, H, false);
  if (head) {
    plan.linear('head.dense', H, H, false);
    plan.norm('head.norm', H, false);
    if (head === 'mlm') plan.random('decoder.bias', [s.vocabSize]);
    else plan.linear('classifier', labels, H);
  }
}

const architectureNames: Record<TestArch, Record<TestHead | 'none', string>> = {
  bert: { none: 'BertModel', mlm: 'BertForMaskedLM', token: 'BertForTokenClassification', sequence: 'BertForSequenceClassification' },
  modernbert: { none: 'ModernBertModel', mlm: 'ModernBertForMaskedLM', token: 'ModernBertForTokenClassification', sequence: 'ModernBertForSequenceClassification' },
};

export function makeTestModel(opts: MakeTestModelOptions): TestModelFiles {
  const { arch, head, out } = opts;
  const base = opts.sizes === 'real' ? realSizes : tinySizes(arch);
  const s: TestModelSizes = { ...base, ...(typeof opts.sizes === 'object' ? opts.sizes : {}) };
  const labelNames = head === 'token' ? testTokenLabels : head === 'sequence' ? testSequenceLabels : [];
  const config: Record<string, unknown> = {
    architectures: [architectureNames[arch][head ?? 'none']],
    model_type: arch,
    cmb_test_model: true,
    vocab_size: s.vocabSize,
    hidden_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    intermediate_size: s.intermediate,
    max_position_embeddings: s.maxPositions,
    pad_token_id: s.padTokenId,
    initializer_range: 0.02,
    ...(labelNames.length ? labelMaps(labelNames) : {}),
  };
  if (arch === 'bert') {
    Object.assign(config, { hidden_act: 'gelu', layer_norm_eps: 1e-12, type_vocab_size: 2, position_embedding_type: 'absolute' });
  } else {
    Object.assign(config, {
      hidden_activation: 'gelu', norm_eps: 1e-5, norm_bias: false, attention_bias: false, mlp_bias: false,
      global_attn_every_n_layers: s.globalAttnEveryNLayers, local_attention: s.localAttention,
      global_rope_theta: 160000, local_rope_theta: 10000, classifier_pooling: 'mean', classifier_activation: 'gelu',
      classifier_bias: false, decoder_bias: true, tie_word_embeddings: true,
      // the test tokenizer's [CLS]=2 and [SEP]=3; the released tokenizer's 50281 and 50282
      ...(opts.sizes === 'real' ? { cls_token_id: 50281, sep_token_id: 50282, bos_token_id: 50281, eos_token_id: 50282 } : { cls_token_id: 2, sep_token_id: 3, bos_token_id: 2, eos_token_id: 3 }),
    });
  }
  Object.assign(config, opts.configOverrides ?? {});

  const plan = new TensorPlan(opts.seed ?? 1234, opts.std ?? 0.02, opts.randomNorms ?? false);
  (arch === 'bert' ? bertPlan : modernBertPlan)(s, head, plan, labelNames.length);

  mkdirSync(out, { recursive: true });
  const configPath = join(out, 'config.json');
  const safetensorsPath = join(out, 'model.safetensors');
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
  writeSafetensors(safetensorsPath, plan.tensors);
  if (opts.tokenizerJson !== undefined) {
    writeFileSync(join(out, 'tokenizer.json'), typeof opts.tokenizerJson === 'string' ? opts.tokenizerJson : JSON.stringify(opts.tokenizerJson));
  }
  return { dir: out, configPath, safetensorsPath, config };
}
