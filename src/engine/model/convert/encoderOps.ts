/**
 * Graph pieces BERT and ModernBERT share. Hidden states travel as 2-D
 * [batch*seq, hidden] so every linear layer is one Gemm with transB=1 that
 * reads the checkpoint's [out, in] weight as stored: no transposed copies.
 */
import { EngineError } from '../../errors';
import type { CheckpointWeights, Tensor } from './checkpointWeights';
import type { GraphBuilder, Value } from './graphBuilder';
import { msDomain, OnnxDataType } from './onnxModel';
import { quantizePerOutputChannel } from './quantize';
import type { Int8Route } from './variant';
import { hiddenStateOutput } from '../hiddenStates';

/** float32's lowest value: what transformers adds for masked keys (finite, so fully masked rows stay NaN-free) */
export const maskedScore = -3.4028234663852886e38;

export interface EncoderInputs {
  inputIds: Value;
  attentionMask: Value;
  /** [batch, seq] as int64 */
  batchSeqShape: Value;
  /** seq as an int64 scalar */
  seqLen: Value;
  /** 0..seq-1, int64 [seq] */
  positions: Value;
}

export function declareInputs(g: GraphBuilder): EncoderInputs {
  const inputIds = g.input('input_ids', OnnxDataType.Int64, ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', OnnxDataType.Int64, ['batch', 'sequence']);
  const batchSeqShape = g.op('Shape', [inputIds], {}, 'batch_seq_shape');
  const seqLen = g.op('Gather', [batchSeqShape, g.int64s('one_index', [1], [])], { axis: 0 }, 'seq_len');
  const positions = g.op('Range', [g.int64s('zero', [0], []), seqLen, g.int64s('step', [1], [])], {}, 'positions');
  return { inputIds, attentionMask, batchSeqShape, seqLen, positions };
}

export interface LinearOptions {
  /** int8 weights, activations quantized at run time (encoder layers of the int8 variant) */
  int8?: Int8Route;
}

/** y = x W^T + b with the checkpoint's [out, in] weight; bias optional */
export function linear(g: GraphBuilder, w: CheckpointWeights, x: Value, weightName: string, biasName: string | undefined, dims: [number, number], opts: LinearOptions = {}): Value {
  const W = w.get(weightName, dims);
  const b = biasName !== undefined ? w.get(biasName, [dims[0]]) : undefined;
  return linearFrom(g, x, W, b, weightName, opts);
}

/** linear() on tensors already read (or joined, as the fused Q/K/V weight is) */
export function linearFrom(g: GraphBuilder, x: Value, W: Tensor, b: Tensor | undefined, name: string, opts: LinearOptions = {}): Value {
  if (opts.int8) return quantizedLinear(g, x, W, b, name, opts.int8);
  const inputs = [x, g.weight(name, W.data, W.shape)];
  if (b) inputs.push(g.weight(`${name}.bias`, b.data, b.shape));
  return g.op('Gemm', inputs, { transB: 1 }, 'linear');
}

/**
 * int8 x W: weights quantized per output channel here, the activation per
 * tensor at run time. `contrib` writes onnxruntime's DynamicQuantizeMatMul;
 * `standard` writes the ONNX ops quantize_dynamic emits, which onnxruntime's
 * CPU optimizer fuses into it (MatMulIntegerToFloat, then DynamicQuantizeMatMul).
 * Weight zero points are written (zeros) so onnxruntime's x64 precision mode
 * can switch the weights to uint8 on CPUs whose int8 kernels saturate.
 */
function quantizedLinear(g: GraphBuilder, x: Value, W: Tensor, b: Tensor | undefined, name: string, route: Int8Route): Value {
  const [out, inner] = W.shape as [number, number];
  const q = quantizePerOutputChannel(W.data, out, inner);
  const weight = g.initializer(`${name}.int8`, OnnxDataType.Int8, [inner, out], new Uint8Array(q.data.buffer));
  const scale = g.weight32(`${name}.scale`, q.scales, [out]);
  const zero = g.initializer(`${name}.zero_point`, OnnxDataType.Int8, [out], new Uint8Array(out));
  const bias = b ? g.weight32(`${name}.bias`, b.data, [out]) : undefined;
  if (route === 'contrib') return g.msOp('DynamicQuantizeMatMul', bias ? [x, weight, scale, zero, bias] : [x, weight, scale, zero], {}, 'linear_int8');
  const [xq, xScale, xZero] = g.opMulti('DynamicQuantizeLinear', [x], 3, {}, 'x_quantized');
  const acc = g.op('MatMulInteger', [xq!, weight, xZero!, zero], {}, 'int32_product');
  const y = g.op('Mul', [g.op('Cast', [acc], { to: OnnxDataType.Float }), g.op('Mul', [xScale!, scale], {}, 'product_scale')], {}, 'linear_int8');
  return bias ? g.op('Add', [y, bias], {}, 'linear_int8_bias') : y;
}

export function layerNorm(g: GraphBuilder, w: CheckpointWeights, x: Value, weightName: string, biasName: string | undefined, hidden: number, eps: number): Value {
  const s = w.get(weightName, [hidden]);
  const inputs = [x, g.weight(weightName, s.data, s.shape)];
  if (biasName !== undefined) {
    const b = w.get(biasName, [hidden]);
    inputs.push(g.weight(biasName, b.data, b.shape));
  }
  return g.op('LayerNormalization', inputs, { axis: -1, epsilon: { float: eps } }, 'layer_norm');
}

/** transformers' ACT2FN names the converter writes, each with ops every runtime has at opset 17 */
const activations: Record<string, (g: GraphBuilder, x: Value) => Value> = {
  // exact GELU: 0.5 x (1 + erf(x / sqrt 2))
  gelu: exactGelu,
  gelu_python: exactGelu,
  // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  gelu_new: tanhGelu,
  gelu_pytorch_tanh: tanhGelu,
  gelu_fast: tanhGelu,
  quick_gelu: (g, x) => g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.scalar('c', 1.702)])])], {}, 'quick_gelu'),
  relu: (g, x) => g.op('Relu', [x]),
  silu: silu,
  swish: silu,
  tanh: (g, x) => g.op('Tanh', [x]),
};

/** the activation names the converter accepts, for messages and tests */
export const supportedActivations: readonly string[] = Object.keys(activations);

function exactGelu(g: GraphBuilder, x: Value): Value {
  const erf = g.op('Erf', [g.op('Mul', [x, g.scalar('inv_sqrt2', Math.SQRT1_2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar('half', 0.5)]), g.op('Add', [erf, g.scalar('one', 1)])], {}, 'gelu');
}

function tanhGelu(g: GraphBuilder, x: Value): Value {
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.scalar('c', 0.044715)])]), g.scalar('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar('half', 0.5)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar('one', 1)])], {}, 'gelu_tanh');
}

function silu(g: GraphBuilder, x: Value): Value {
  return g.op('Mul', [x, g.op('Sigmoid', [x])], {}, 'silu');
}

/** Throws unless the converter can write activation `name`. */
export function checkActivation(name: string, setting = 'activation'): void {
  if (!Object.hasOwn(activations, name)) {
    throw new EngineError('unsupported-model', `config.json asks for ${setting} "${name}", which the converter does not support (supported: ${supportedActivations.join(', ')}).`);
  }
}

export function activation(g: GraphBuilder, x: Value, name: string): Value {
  checkActivation(name);
  return activations[name]!(g, x);
}

/** [batch, 1, 1, seq] booleans: true for real keys, false for padding */
export function paddingKeysVisible(g: GraphBuilder, inputs: EncoderInputs): Value {
  return g.op('Cast', [g.op('Unsqueeze', [inputs.attentionMask, g.int64s('axes_1_2', [1, 2])])], { to: OnnxDataType.Bool }, 'key_visible');
}

/** 0 where visible, float32 min elsewhere (replaced, never summed, so it cannot overflow to -inf); float32 in every variant */
export function additiveMask(g: GraphBuilder, visible: Value): Value {
  return g.op('Where', [visible, g.scalar32('zero_f', 0), g.scalar32('masked', maskedScore)], {}, 'additive_mask');
}

export interface AttentionShape {
  heads: number;
  headDim: number;
}

/** [N, hidden] -> [batch, heads, seq, headDim] */
export function splitHeads(g: GraphBuilder, x: Value, inputs: EncoderInputs, s: AttentionShape): Value {
  const shape = g.op('Concat', [inputs.batchSeqShape, g.int64s('heads_dim', [s.heads, s.headDim])], { axis: 0 }, 'heads_shape');
  return g.op('Transpose', [g.op('Reshape', [x, shape])], { perm: [0, 2, 1, 3] }, 'heads');
}

/** softmax(q k^T / sqrt(d) + mask) v, back to [N, hidden]; the mask and softmax are float32 in every variant */
export function scaledDotProductAttention(g: GraphBuilder, q: Value, k: Value, v: Value, mask: Value, s: AttentionShape): Value {
  const qScaled = g.op('Mul', [q, g.scalar('scale', 1 / Math.sqrt(s.headDim))]);
  const scores = g.op('Add', [g.toFloat32(g.op('MatMul', [qScaled, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })])), mask], {}, 'scores');
  const probs = g.toFloatType(g.op('Softmax', [scores], { axis: -1 }, 'probs'));
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [ctx, g.int64s('flat_shape', [-1, s.heads * s.headDim])], {}, 'context');
}

/** [N, width] -> [batch, seq, width], the layout onnxruntime's attention kernels read */
export function to3d(g: GraphBuilder, x: Value, inputs: EncoderInputs, width: number): Value {
  return g.op('Reshape', [x, g.op('Concat', [inputs.batchSeqShape, g.int64s('width', [width])], { axis: 0 }, 'shape_3d')], {}, 'as_3d');
}

/** int32 [batch, seq] 1/0 mask: MultiHeadAttention's key_padding_mask */
export function keyPaddingMask(g: GraphBuilder, inputs: EncoderInputs): Value {
  return g.op('Cast', [inputs.attentionMask], { to: OnnxDataType.Int32 }, 'key_padding_mask');
}

export interface FusedAttentionMask {
  /** int32 [batch, seq]: keys to ignore (padding) */
  keyPadding?: Value;
  /** float32 [batch, 1, seq, seq] added to the scores (a sliding window with padding) */
  bias?: Value;
}

/**
 * onnxruntime's MultiHeadAttention on [N, hidden] q, k, v: softmax(q k^T /
 * sqrt(d) + mask) v in one kernel, back to [N, hidden]. Masked keys get
 * float32's lowest value, as in transformers; one mask kind per node, so two
 * of them never add up to -inf.
 */
export function fusedAttention(g: GraphBuilder, q3: Value, k3: Value, v3: Value, mask: FusedAttentionMask, s: AttentionShape): Value {
  const inputs = [q3, k3, v3, '', mask.keyPadding ?? '', mask.bias ?? ''];
  while (inputs.at(-1) === '') inputs.pop();
  const ctx = g.msOp('MultiHeadAttention', inputs, { num_heads: s.heads, mask_filter_value: { float: maskedScore } }, 'attention');
  return g.op('Reshape', [ctx, g.int64s('flat_shape', [-1, s.heads * s.headDim])], {}, 'context');
}

/**
 * LayerNorm(x + residual + bias) as onnxruntime's SkipLayerNormalization;
 * `keepSum` also returns x + residual + bias (a pre-LayerNorm encoder's next residual).
 */
export function skipLayerNorm(
  g: GraphBuilder, w: CheckpointWeights, x: Value, residual: Value, weightName: string, biasName: string | undefined, hidden: number, eps: number,
  opts: { addBias?: Tensor; keepSum?: boolean } = {},
): { normed: Value; sum?: Value } {
  const s = w.get(weightName, [hidden]);
  const inputs = [x, residual, g.weight(weightName, s.data, s.shape)];
  inputs.push(biasName !== undefined ? g.weight(biasName, w.get(biasName, [hidden]).data, [hidden]) : '');
  if (opts.addBias) inputs.push(g.weight(`${weightName}.residual_bias`, opts.addBias.data, [hidden]));
  while (inputs.at(-1) === '') inputs.pop();
  const [normed, , , sum] = g.node('SkipLayerNormalization', inputs, [true, false, false, opts.keepSum ?? false], { epsilon: { float: eps } }, 'skip_layer_norm', msDomain);
  return { normed: normed!, ...(opts.keepSum ? { sum: sum! } : {}) };
}

/**
 * act(x + bias) with onnxruntime's kernels where one exists for the activation
 * (BiasGelu / Gelu for erf GELU, FastGelu for the tanh approximation), plain ops otherwise.
 */
export function fusedActivation(g: GraphBuilder, x: Value, name: string, bias?: Value): Value {
  checkActivation(name);
  if (name === 'gelu' || name === 'gelu_python') return bias ? g.msOp('BiasGelu', [x, bias], {}, 'bias_gelu') : g.msOp('Gelu', [x], {}, 'gelu');
  if (name === 'gelu_new' || name === 'gelu_pytorch_tanh' || name === 'gelu_fast') return g.msOp('FastGelu', bias ? [x, bias] : [x], {}, 'fast_gelu');
  return activation(g, bias ? g.op('Add', [x, bias]) : x, name);
}

/** [N, hidden] -> [batch, seq, hidden] (or any last dim) */
export function toBatchSeq(g: GraphBuilder, x: Value, inputs: EncoderInputs, last: number, name: string): Value {
  const shape = g.op('Concat', [inputs.batchSeqShape, g.int64s('last_dim', [last])], { axis: 0 }, `${name}_shape`);
  return g.op('Reshape', [x, shape], {}, name);
}

export function flatten(g: GraphBuilder, x3: Value, hidden: number): Value {
  return g.op('Reshape', [x3, g.int64s('flat_shape', [-1, hidden])], {}, 'flat');
}

/**
 * Every layer's output but the last (which is last_hidden_state) as a graph
 * output `hidden_states.<i>`, so heads can read the last k layers
 * (hiddenStates.ts). `earlierLayers` are layers 1..n-1, already float32 (a
 * float16 graph casts them where they are made, as its floatType is float32
 * again once a classifier head is appended). Declared after every other
 * output: existing outputs keep their positions and values.
 */
export function declareLayerOutputs(g: GraphBuilder, earlierLayers: readonly Value[], inputs: EncoderInputs, hidden: number): void {
  g.scope = 'hidden_states';
  for (let i = 0; i < earlierLayers.length; i++) {
    const name = hiddenStateOutput(i + 1, earlierLayers.length + 1);
    g.output(toBatchSeq(g, earlierLayers[i]!, inputs, hidden, `layer${i + 1}_3d`), name, OnnxDataType.Float, ['batch', 'sequence', hidden]);
  }
  g.scope = '';
}
