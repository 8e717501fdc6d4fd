/**
 * A straightforward float64 forward pass of BERT and ModernBERT, written from
 * transformers' modeling code with plain loops, one sequence at a time. The
 * converted ONNX graphs are checked against it; it shares no code with the
 * converter beyond reading tensors.
 */
import type { ModelConfig } from '../../../src/engine/model/config';
import type { CheckpointWeights } from '../../../src/engine/model/convert/checkpointWeights';

type Mat = Float64Array; // row-major [rows, cols]

export interface ReferenceOutput {
  /** [seq, hidden] */
  hidden: Mat;
  /** each layer's output [seq, hidden], layer 1 first (ModernBERT: before the final norm, as transformers' hidden_states) */
  layers: Mat[];
  /** [seq, labels] for token heads and MLM, [labels] for sequence heads */
  logits?: Mat;
}

/** erfc with fractional error below 1.2e-7 (Numerical Recipes' Chebyshev fit) */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

function act(name: string, x: number): number {
  switch (name) {
    case 'gelu': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_new': case 'gelu_pytorch_tanh': return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'relu': return Math.max(0, x);
    default: throw new Error(`reference: activation ${name}`);
  }
}

class Ref {
  constructor(readonly w: CheckpointWeights) {}
  t(name: string): Float32Array {
    return this.w.get(name).data;
  }
  maybe(name: string): Float32Array | undefined {
    return this.w.has(name) ? this.t(name) : undefined;
  }
  linear(x: Mat, rows: number, inp: number, wName: string, bName?: string): Mat {
    const W = this.t(wName);
    const b = bName ? this.maybe(bName) : undefined;
    const out = W.length / inp;
    const y = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < out; o++) {
        let s = b ? b[o]! : 0;
        for (let i = 0; i < inp; i++) s += x[r * inp + i]! * W[o * inp + i]!;
        y[r * out + o] = s;
      }
    }
    return y;
  }
  norm(x: Mat, rows: number, H: number, wName: string, bName: string | undefined, eps: number): Mat {
    const g = this.t(wName);
    const b = bName ? this.maybe(bName) : undefined;
    const y = new Float64Array(rows * H);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let i = 0; i < H; i++) mean += x[r * H + i]!;
      mean /= H;
      let v = 0;
      for (let i = 0; i < H; i++) v += (x[r * H + i]! - mean) ** 2;
      const inv = 1 / Math.sqrt(v / H + eps);
      for (let i = 0; i < H; i++) y[r * H + i] = (x[r * H + i]! - mean) * inv * g[i]! + (b ? b[i]! : 0);
    }
    return y;
  }
}

/** visible(i, j): may query i attend to key j */
function attention(q: Mat, k: Mat, v: Mat, S: number, heads: number, d: number, visible: (i: number, j: number) => boolean): Mat {
  const H = heads * d;
  const out = new Float64Array(S * H);
  const scores = new Float64Array(S);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < S; i++) {
      let max = -Infinity;
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += q[i * H + h * d + e]! * k[j * H + h * d + e]!;
        s = visible(i, j) ? s / Math.sqrt(d) : -3.4028234663852886e38;
        scores[j] = s;
        if (s > max) max = s;
      }
      let z = 0;
      for (let j = 0; j < S; j++) z += scores[j] = Math.exp(scores[j]! - max);
      for (let j = 0; j < S; j++) {
        const p = scores[j]! / z;
        for (let e = 0; e < d; e++) out[i * H + h * d + e] += p * v[j * H + h * d + e]!;
      }
    }
  }
  return out;
}

function add(a: Mat, b: Mat): Mat {
  return a.map((x, i) => x + b[i]!);
}

export function referenceBert(cfg: ModelConfig, w: CheckpointWeights, ids: number[], mask: number[], head: 'none' | 'mlm' | 'token' | 'sequence'): ReferenceOutput {
  const r = new Ref(w);
  const p = w.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
  const S = ids.length;
  const H = cfg.hiddenSize;
  const eps = cfg.layerNormEps;
  const word = r.t(`${p}embeddings.word_embeddings.weight`);
  const pos = r.t(`${p}embeddings.position_embeddings.weight`);
  const types = r.t(`${p}embeddings.token_type_embeddings.weight`);
  let x: Mat = new Float64Array(S * H);
  for (let t = 0; t < S; t++) for (let i = 0; i < H; i++) x[t * H + i] = word[ids[t]! * H + i]! + types[i]! + pos[t * H + i]!;
  x = r.norm(x, S, H, `${p}embeddings.LayerNorm.weight`, `${p}embeddings.LayerNorm.bias`, eps);
  const heads = cfg.numAttentionHeads;
  const layers: Mat[] = [];
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const L = `${p}encoder.layer.${l}`;
    const q = r.linear(x, S, H, `${L}.attention.self.query.weight`, `${L}.attention.self.query.bias`);
    const k = r.linear(x, S, H, `${L}.attention.self.key.weight`, `${L}.attention.self.key.bias`);
    const v = r.linear(x, S, H, `${L}.attention.self.value.weight`, `${L}.attention.self.value.bias`);
    const ctx = attention(q, k, v, S, heads, H / heads, (_i, j) => mask[j] === 1);
    x = r.norm(add(r.linear(ctx, S, H, `${L}.attention.output.dense.weight`, `${L}.attention.output.dense.bias`), x), S, H, `${L}.attention.output.LayerNorm.weight`, `${L}.attention.output.LayerNorm.bias`, eps);
    const inter = r.linear(x, S, H, `${L}.intermediate.dense.weight`, `${L}.intermediate.dense.bias`).map((z) => act(cfg.hiddenAct, z));
    x = r.norm(add(r.linear(inter, S, cfg.intermediateSize, `${L}.output.dense.weight`, `${L}.output.dense.bias`), x), S, H, `${L}.output.LayerNorm.weight`, `${L}.output.LayerNorm.bias`, eps);
    layers.push(x);
  }
  const out: ReferenceOutput = { hidden: x, layers };
  if (head === 'mlm') {
    const t = r.norm(r.linear(x, S, H, 'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias').map((z) => act(cfg.hiddenAct, z)), S, H, 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias', eps);
    out.logits = r.linear(t, S, H, r.w.has('cls.predictions.decoder.weight') ? 'cls.predictions.decoder.weight' : `${p}embeddings.word_embeddings.weight`, 'cls.predictions.bias');
  } else if (head === 'token') {
    out.logits = r.linear(x, S, H, 'classifier.weight', 'classifier.bias');
  } else if (head === 'sequence') {
    const pooled = r.linear(x.slice(0, H), 1, H, `${p}pooler.dense.weight`, `${p}pooler.dense.bias`).map(Math.tanh);
    out.logits = r.linear(pooled, 1, H, 'classifier.weight', 'classifier.bias');
  }
  return out;
}

export function referenceModernBert(cfg: ModelConfig, w: CheckpointWeights, ids: number[], mask: number[], head: 'none' | 'mlm' | 'token' | 'sequence'): ReferenceOutput {
  const m = cfg.modernbert!;
  const r = new Ref(w);
  const p = w.has('model.embeddings.tok_embeddings.weight') ? 'model.' : '';
  const S = ids.length;
  const H = cfg.hiddenSize;
  const heads = cfg.numAttentionHeads;
  const d = H / heads;
  const eps = cfg.layerNormEps;
  const nb = (base: string) => (m.normBias ? `${base}.bias` : undefined);
  const tok = r.t(`${p}embeddings.tok_embeddings.weight`);
  const layers: Mat[] = [];
  let x: Mat = new Float64Array(S * H);
  for (let t = 0; t < S; t++) for (let i = 0; i < H; i++) x[t * H + i] = tok[ids[t]! * H + i]!;
  x = r.norm(x, S, H, `${p}embeddings.norm.weight`, nb(`${p}embeddings.norm`), eps);
  const rope = (v: Mat, theta: number) => {
    const y = new Float64Array(v.length);
    for (let t = 0; t < S; t++) for (let h = 0; h < heads; h++) for (let e = 0; e < d; e++) {
      const half = d / 2;
      const f = e % half;
      const angle = t / theta ** ((2 * f) / d);
      const o = t * H + h * d;
      const rotated = e < half ? -v[o + e + half]! : v[o + e - half]!;
      y[o + e] = v[o + e]! * Math.cos(angle) + rotated * Math.sin(angle);
    }
    return y;
  };
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const L = `${p}layers.${l}`;
    const local = l % m.globalAttnEveryNLayers !== 0;
    const theta = local ? m.localRopeTheta : m.globalRopeTheta;
    const normed = l === 0 ? x : r.norm(x, S, H, `${L}.attn_norm.weight`, nb(`${L}.attn_norm`), eps);
    const qkv = r.linear(normed, S, H, `${L}.attn.Wqkv.weight`, m.attentionBias ? `${L}.attn.Wqkv.bias` : undefined);
    const q = new Float64Array(S * H);
    const k = new Float64Array(S * H);
    const v = new Float64Array(S * H);
    for (let t = 0; t < S; t++) for (let i = 0; i < H; i++) {
      q[t * H + i] = qkv[t * 3 * H + i]!;
      k[t * H + i] = qkv[t * 3 * H + H + i]!;
      v[t * H + i] = qkv[t * 3 * H + 2 * H + i]!;
    }
    const half = Math.floor(m.localAttention / 2);
    const ctx = attention(rope(q, theta), rope(k, theta), v, S, heads, d, (i, j) => mask[j] === 1 && (!local || Math.abs(i - j) <= half));
    x = add(x, r.linear(ctx, S, H, `${L}.attn.Wo.weight`, m.attentionBias ? `${L}.attn.Wo.bias` : undefined));
    const wi = r.linear(r.norm(x, S, H, `${L}.mlp_norm.weight`, nb(`${L}.mlp_norm`), eps), S, H, `${L}.mlp.Wi.weight`, m.mlpBias ? `${L}.mlp.Wi.bias` : undefined);
    const I = cfg.intermediateSize;
    const glu = new Float64Array(S * I);
    for (let t = 0; t < S; t++) for (let i = 0; i < I; i++) glu[t * I + i] = act(cfg.hiddenAct, wi[t * 2 * I + i]!) * wi[t * 2 * I + I + i]!;
    x = add(x, r.linear(glu, S, I, `${L}.mlp.Wo.weight`, m.mlpBias ? `${L}.mlp.Wo.bias` : undefined));
    layers.push(x);
  }
  x = r.norm(x, S, H, `${p}final_norm.weight`, nb(`${p}final_norm`), eps);
  const out: ReferenceOutput = { hidden: x, layers };
  const predictionHead = (h: Mat, rows: number) =>
    r.norm(r.linear(h, rows, H, 'head.dense.weight', m.classifierBias ? 'head.dense.bias' : undefined).map((z) => act(m.classifierActivation, z)), rows, H, 'head.norm.weight', nb('head.norm'), eps);
  if (head === 'mlm') {
    out.logits = r.linear(predictionHead(x, S), S, H, w.has('decoder.weight') ? 'decoder.weight' : `${p}embeddings.tok_embeddings.weight`, m.decoderBias ? 'decoder.bias' : undefined);
  } else if (head === 'token') {
    out.logits = r.linear(predictionHead(x, S), S, H, 'classifier.weight', 'classifier.bias');
  } else if (head === 'sequence') {
    const pooled = new Float64Array(H);
    if (m.classifierPooling === 'cls') pooled.set(x.subarray(0, H));
    else {
      const n = mask.reduce((a, b) => a + b, 0);
      for (let t = 0; t < S; t++) if (mask[t]) for (let i = 0; i < H; i++) pooled[i] += x[t * H + i]! / n;
    }
    out.logits = r.linear(predictionHead(pooled, 1), 1, H, 'classifier.weight', 'classifier.bias');
  }
  return out;
}
