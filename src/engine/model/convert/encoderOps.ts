/**
 * Graph pieces BERT and ModernBERT share. Hidden states travel as 2-D
 * [batch*seq, hidden] so every linear layer is one Gemm with transB=1 that
 * reads the checkpoint's [out, in] weight as stored: no transposed copies.
 */
import { EngineError } from '../../errors';
import type { CheckpointWeights } from './checkpointWeights';
import type { GraphBuilder, Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';
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

/** y = x W^T + b with the checkpoint's [out, in] weight; bias optional */
export function linear(g: GraphBuilder, w: CheckpointWeights, x: Value, weightName: string, biasName: string | undefined, dims: [number, number]): Value {
  const W = w.get(weightName, dims);
  const inputs = [x, g.weight(weightName, W.data, W.shape)];
  if (biasName !== undefined) {
    const b = w.get(biasName, [dims[0]]);
    inputs.push(g.weight(biasName, b.data, b.shape));
  }
  return g.op('Gemm', inputs, { transB: 1 }, 'linear');
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

/** 0 where visible, float32 min elsewhere (replaced, never summed, so it cannot overflow to -inf) */
export function additiveMask(g: GraphBuilder, visible: Value): Value {
  return g.op('Where', [visible, g.scalar('zero_f', 0), g.scalar('masked', maskedScore)], {}, 'additive_mask');
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

/** softmax(q k^T / sqrt(d) + mask) v, back to [N, hidden] */
export function scaledDotProductAttention(g: GraphBuilder, q: Value, k: Value, v: Value, mask: Value, s: AttentionShape): Value {
  const qScaled = g.op('Mul', [q, g.scalar('scale', 1 / Math.sqrt(s.headDim))]);
  const scores = g.op('Add', [g.op('MatMul', [qScaled, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), mask], {}, 'scores');
  const probs = g.op('Softmax', [scores], { axis: -1 }, 'probs');
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [ctx, g.int64s('flat_shape', [-1, s.heads * s.headDim])], {}, 'context');
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
 * (hiddenStates.ts). Declared after every other output: existing outputs keep
 * their positions and values.
 */
export function declareLayerOutputs(g: GraphBuilder, layerOutputs: readonly Value[], inputs: EncoderInputs, hidden: number): void {
  g.scope = 'hidden_states';
  for (let i = 0; i < layerOutputs.length - 1; i++) {
    const name = hiddenStateOutput(i + 1, layerOutputs.length);
    g.output(toBatchSeq(g, layerOutputs[i]!, inputs, hidden, `layer${i + 1}_3d`), name, OnnxDataType.Float, ['batch', 'sequence', hidden]);
  }
  g.scope = '';
}
