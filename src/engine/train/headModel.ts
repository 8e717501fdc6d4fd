/**
 * The heads the trainer fits on frozen encoder features, with their forward
 * and backward passes written by hand. They are one or two dense layers: a
 * training library (and its native build or WebAssembly) would be far more
 * code than the few loops below, and the ONNX graph that runs the head in the
 * editor is built from the same tensors (classifierHead.ts), so the two are
 * compared in tests rather than trusted.
 *
 * - linear: logits = x W^T + b
 * - mlp:    logits = gelu(x W1^T + b1) W2^T + b2, with dropout on the GELU
 *           output while training (inverted: kept units scaled by 1/(1-p))
 *
 * Tensors carry transformers-style names and [out, in] shapes, so they are
 * written to model.safetensors as they are. Arrays are Float32Array when
 * training and Float64Array in the gradient check; sums run in float64.
 */
import type { TensorToWrite } from '../model/safetensors';
import type { SeededRandom } from '../seededRandom';

export type Vec = Float32Array | Float64Array;
export type TrainableArchitecture = 'linear' | 'mlp';

export interface HeadShape {
  architecture: TrainableArchitecture;
  /** features per example (hidden size times layers) */
  inputWidth: number;
  /** mlp: the dense layer's width */
  mlpHidden?: number;
  labels: number;
}

export interface Param {
  name: string;
  shape: number[];
  data: Vec;
  /** AdamW's weight decay applies (weights yes, biases no, as transformers' Trainer does) */
  decay: boolean;
}

/** erf with absolute error below 1.2e-7 (Numerical Recipes' Chebyshev fit of erfc); smooth, so gradients check */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

/** exact GELU, as the ONNX graph computes it: 0.5 x (1 + erf(x / sqrt 2)) */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** d gelu / dx = Phi(x) + x phi(x) */
function geluGrad(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

export class HeadModel {
  readonly params: Param[];

  constructor(
    readonly shape: HeadShape,
    params?: Param[],
  ) {
    this.params = params ?? [];
  }

  /** transformers' init: weights N(0, 0.02), biases 0 */
  static init(shape: HeadShape, rng: SeededRandom, make: (n: number) => Vec = (n) => new Float32Array(n)): HeadModel {
    const dense = (name: string, out: number, inp: number): Param[] => {
      const w = make(out * inp);
      for (let i = 0; i < w.length; i++) w[i] = 0.02 * rng.normal();
      return [
        { name: `${name}.weight`, shape: [out, inp], data: w, decay: true },
        { name: `${name}.bias`, shape: [out], data: make(out), decay: false },
      ];
    };
    const params =
      shape.architecture === 'mlp'
        ? [...dense('dense', shape.mlpHidden!, shape.inputWidth), ...dense('classifier', shape.labels, shape.mlpHidden!)]
        : dense('classifier', shape.labels, shape.inputWidth);
    return new HeadModel(shape, params);
  }

  param(name: string): Param {
    const p = this.params.find((q) => q.name === name);
    if (!p) throw new Error(`head has no ${name}`);
    return p;
  }

  /** a deep copy (the best epoch's weights are kept while training goes on) */
  clone(): HeadModel {
    return new HeadModel(this.shape, this.params.map((p) => ({ ...p, shape: [...p.shape], data: p.data.slice() })));
  }

  tensors(): TensorToWrite[] {
    return this.params.map((p) => ({ name: p.name, shape: p.shape, data: p.data instanceof Float32Array ? p.data : Float32Array.from(p.data) }));
  }

  /**
   * Logits of n examples (x: [n, inputWidth], row-major). With `dropout`, the
   * MLP drops hidden units (training); `cache` keeps what backward needs.
   */
  forward(x: Vec, n: number, dropout?: { p: number; rng: SeededRandom }): { logits: Float64Array; cache: ForwardCache } {
    const { inputWidth: D, labels: L } = this.shape;
    if (this.shape.architecture === 'linear') {
      const W = this.param('classifier.weight').data;
      const b = this.param('classifier.bias').data;
      return { logits: dense(x, n, D, W, b, L), cache: { x, n } };
    }
    const M = this.shape.mlpHidden!;
    const pre = dense(x, n, D, this.param('dense.weight').data, this.param('dense.bias').data, M);
    const h = new Float64Array(n * M);
    let mask: Float64Array | undefined;
    if (dropout && dropout.p > 0) {
      mask = new Float64Array(n * M);
      const keep = 1 / (1 - dropout.p);
      for (let i = 0; i < mask.length; i++) mask[i] = dropout.rng.uniform() < dropout.p ? 0 : keep;
    }
    for (let i = 0; i < h.length; i++) h[i] = gelu(pre[i]!) * (mask ? mask[i]! : 1);
    const logits = dense(h, n, M, this.param('classifier.weight').data, this.param('classifier.bias').data, L);
    return { logits, cache: { x, n, pre, h, mask } };
  }

  /** Gradients of every parameter (same order as params) from dLoss/dLogits [n, labels]. */
  backward(cache: ForwardCache, dLogits: Float64Array): Float64Array[] {
    const { inputWidth: D, labels: L } = this.shape;
    const { x, n } = cache;
    if (this.shape.architecture === 'linear') {
      const gW = new Float64Array(L * D);
      const gb = new Float64Array(L);
      denseBackward(x, n, D, dLogits, L, gW, gb);
      return [gW, gb];
    }
    const M = this.shape.mlpHidden!;
    const g2W = new Float64Array(L * M);
    const g2b = new Float64Array(L);
    const dH = new Float64Array(n * M);
    denseBackward(cache.h!, n, M, dLogits, L, g2W, g2b, this.param('classifier.weight').data, dH);
    for (let i = 0; i < dH.length; i++) dH[i] = dH[i]! * geluGrad(cache.pre![i]!) * (cache.mask ? cache.mask[i]! : 1);
    const g1W = new Float64Array(M * D);
    const g1b = new Float64Array(M);
    denseBackward(x, n, D, dH, M, g1W, g1b);
    return [g1W, g1b, g2W, g2b];
  }
}

export interface ForwardCache {
  x: Vec;
  n: number;
  pre?: Float64Array;
  h?: Float64Array;
  mask?: Float64Array;
}

/** y[n, out] = x[n, in] W[out, in]^T + b */
function dense(x: ArrayLike<number>, n: number, inp: number, W: Vec, b: Vec, out: number): Float64Array {
  const y = new Float64Array(n * out);
  for (let i = 0; i < n; i++) {
    const xo = i * inp;
    for (let o = 0; o < out; o++) {
      const wo = o * inp;
      let s = b[o]!;
      for (let j = 0; j < inp; j++) s += W[wo + j]! * x[xo + j]!;
      y[i * out + o] = s;
    }
  }
  return y;
}

/** accumulates dW, db and (when W and dx are given) dx from dy */
function denseBackward(x: ArrayLike<number>, n: number, inp: number, dy: Float64Array, out: number, gW: Float64Array, gb: Float64Array, W?: Vec, dx?: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const xo = i * inp;
    for (let o = 0; o < out; o++) {
      const d = dy[i * out + o]!;
      if (d === 0) continue;
      gb[o]! += d;
      const wo = o * inp;
      for (let j = 0; j < inp; j++) gW[wo + j]! += d * x[xo + j]!;
      if (W && dx) for (let j = 0; j < inp; j++) dx[xo + j]! += d * W[wo + j]!;
    }
  }
}

/**
 * Mean cross-entropy of n examples, each weighted by its class's weight and
 * divided by the sum of those weights (PyTorch's CrossEntropyLoss with
 * `weight`), and its gradient with respect to the logits.
 */
export function crossEntropy(logits: Float64Array, targets: ArrayLike<number>, n: number, labels: number, classWeights?: ArrayLike<number>, exampleWeights?: ArrayLike<number>): { loss: number; dLogits: Float64Array } {
  const d = new Float64Array(n * labels);
  let total = 0;
  let weightSum = 0;
  for (let i = 0; i < n; i++) {
    const t = targets[i]!;
    const w = (classWeights ? classWeights[t]! : 1) * (exampleWeights ? exampleWeights[i]! : 1);
    const o = i * labels;
    let max = -Infinity;
    for (let k = 0; k < labels; k++) max = Math.max(max, logits[o + k]!);
    let sum = 0;
    for (let k = 0; k < labels; k++) sum += Math.exp(logits[o + k]! - max);
    const logSum = max + Math.log(sum);
    total += w * (logSum - logits[o + t]!);
    weightSum += w;
    for (let k = 0; k < labels; k++) d[o + k] = w * (Math.exp(logits[o + k]! - logSum) - (k === t ? 1 : 0));
  }
  if (weightSum > 0) for (let i = 0; i < d.length; i++) d[i] = d[i]! / weightSum;
  return { loss: weightSum > 0 ? total / weightSum : 0, dLogits: d };
}

export interface AdamWOptions {
  learningRate: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** AdamW (Loshchilov & Hutter), as torch.optim.AdamW computes it: decoupled weight decay, bias-corrected moments. */
export class AdamW {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;

  constructor(
    private readonly params: Param[],
    private readonly o: AdamWOptions,
  ) {
    this.m = params.map((p) => new Float64Array(p.data.length));
    this.v = params.map((p) => new Float64Array(p.data.length));
  }

  step(grads: Float64Array[]): void {
    const { learningRate: lr, weightDecay: wd } = this.o;
    const b1 = this.o.beta1 ?? 0.9;
    const b2 = this.o.beta2 ?? 0.999;
    const eps = this.o.eps ?? 1e-8;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      const data = p.data;
      const decay = p.decay ? 1 - lr * wd : 1;
      for (let i = 0; i < data.length; i++) {
        const gi = g[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * gi;
        v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
        data[i] = data[i]! * decay - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    });
  }
}
