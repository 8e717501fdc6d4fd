/**
 * ModernBERT (transformers' ModernBertModel and its heads) as an ONNX graph:
 * pre-LayerNorm encoder, no position embeddings, rotary embeddings with a
 * global and a local theta, sliding-window attention on local layers, GeGLU MLP.
 * Semantics follow transformers' padded (sdpa/eager) path.
 */
import { EngineError } from '../../errors';
import { modernBertRopeThetas, type ModelConfig } from '../config';
import type { CheckpointWeights } from './checkpointWeights';
import {
  activation, additiveMask, declareInputs, declareLayerOutputs, flatten, fusedActivation, fusedAttention, keyPaddingMask, layerNorm, linear,
  paddingKeysVisible, scaledDotProductAttention, skipLayerNorm, splitHeads, to3d, toBatchSeq, type EncoderInputs, type LinearOptions,
} from './encoderOps';
import { GraphBuilder, type Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';
import { chooseHead, type BuiltGraph, type BuildProgress } from './heads';
import { appendClassifierHead, modernBertHeadTransform } from './classifierHead';
import { checkVariant, referenceVariant, type GraphVariant } from './variant';

export interface ModernBertLayout {
  /** per layer: true when attention is local (sliding window) */
  local: boolean[];
  globalTheta: number;
  localTheta: number;
  /** a key j is visible from query i on a local layer iff |i - j| <= halfWindow */
  halfWindow: number;
}

/**
 * Reads the layer pattern from config.json: newer transformers save
 * `layer_types` and `rope_parameters`, older ones global_attn_every_n_layers
 * and global/local_rope_theta.
 */
export function modernBertLayout(cfg: ModelConfig): ModernBertLayout {
  const m = cfg.modernbert;
  if (!m) throw new EngineError('bad-config', 'config.json lacks the ModernBERT fields.');
  const raw = cfg.raw;
  // read from raw again, not from cfg.modernbert: the converter refuses what it cannot build even when handed an edited config
  const { globalRopeTheta, localRopeTheta } = modernBertRopeThetas(raw);
  const types = Array.isArray(raw['layer_types']) ? (raw['layer_types'] as unknown[]) : undefined;
  const local = Array.from({ length: cfg.numHiddenLayers }, (_, i) => (types ? types[i] === 'sliding_attention' : i % m.globalAttnEveryNLayers !== 0));
  return {
    local,
    globalTheta: globalRopeTheta,
    localTheta: localRopeTheta,
    halfWindow: Math.floor(m.localAttention / 2),
  };
}

/** position x inverse frequency [seq, headDim / 2], in float32 whatever the variant (float16 angles drift at long positions) */
function rotaryAngles(g: GraphBuilder, inputs: EncoderInputs, theta: number, headDim: number, name: string): Value {
  // float32 inverse frequencies, as transformers computes them
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim))));
  const pos = g.op('Unsqueeze', [g.op('Cast', [inputs.positions], { to: OnnxDataType.Float }), g.int64s('axis1', [1])]);
  return g.op('Mul', [pos, g.floats32(`${name}_inv_freq`, invFreq)], {}, `${name}_angles`);
}

/** cos and sin tables [seq, headDim] for one theta, computed in the graph so any length works */
function rotaryTables(g: GraphBuilder, inputs: EncoderInputs, theta: number, headDim: number, name: string): [Value, Value] {
  const freqs = rotaryAngles(g, inputs, theta, headDim, name);
  const emb = g.op('Concat', [freqs, freqs], { axis: -1 });
  return [g.toFloatType(g.op('Cos', [emb], {}, `${name}_cos`)), g.toFloatType(g.op('Sin', [emb], {}, `${name}_sin`))];
}

/** RotaryEmbedding's cos and sin caches [seq, headDim / 2] (it rotates halves, as rotate_half does) */
function rotaryCaches(g: GraphBuilder, inputs: EncoderInputs, theta: number, headDim: number, name: string): [Value, Value] {
  const freqs = rotaryAngles(g, inputs, theta, headDim, name);
  return [g.op('Cos', [freqs], {}, `${name}_cos_cache`), g.op('Sin', [freqs], {}, `${name}_sin_cache`)];
}

/** x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1] */
function applyRotary(g: GraphBuilder, x: Value, cos: Value, sin: Value): Value {
  const [x1, x2] = g.opMulti('Split', [x], 2, { axis: -1 });
  const rotated = g.op('Concat', [g.op('Neg', [x2!]), x1!], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])], {}, 'rotary');
}

export function buildModernBertGraph(cfg: ModelConfig, w: CheckpointWeights, progress: BuildProgress = () => {}, variant: GraphVariant = referenceVariant): BuiltGraph {
  checkVariant(variant);
  const m = cfg.modernbert!;
  const layout = modernBertLayout(cfg);
  const p = w.has('model.embeddings.tok_embeddings.weight') ? 'model.' : w.has('embeddings.tok_embeddings.weight') ? '' : undefined;
  if (p === undefined && (w.has('bert.embeddings.word_embeddings.weight') || w.has('embeddings.word_embeddings.weight'))) {
    throw new EngineError('bad-config', 'config.json says model_type "modernbert" but the weights are BERT\'s (word_embeddings, encoder.layer.N); set "model_type": "bert" in config.json if that is what the checkpoint is.');
  }
  if (p === undefined) {
    throw new EngineError('corrupt-weights', 'The checkpoint has no ModernBERT token embeddings (model.embeddings.tok_embeddings.weight); config.json says model_type "modernbert". Are the weights from a different architecture?');
  }
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const heads = { heads: cfg.numAttentionHeads, headDim: H / cfg.numAttentionHeads };
  const eps = cfg.layerNormEps;
  const normBias = (base: string) => (m.normBias ? `${base}.bias` : undefined);
  const head = chooseHead(cfg, { mlm: w.has('decoder.weight') || (w.has('head.dense.weight') && !w.has('classifier.weight')), token: false, sequence: false, classifierOnly: w.has('classifier.weight') });

  const g = new GraphBuilder();
  if (variant.precision === 'fp16') g.floatType = OnnxDataType.Float16;
  const q8: LinearOptions = variant.precision === 'int8' ? { int8: variant.int8Route } : {};
  const inputs = declareInputs(g);
  g.scope = 'embeddings';
  const tok = w.get(`${p}embeddings.tok_embeddings.weight`);
  if (tok.shape[1] !== H || tok.shape[0] < cfg.vocabSize) {
    throw new EngineError('corrupt-weights', `Token embeddings have shape [${tok.shape.join(', ')}] but config.json says vocab_size ${cfg.vocabSize}, hidden_size ${H}.`);
  }
  const tokTable = g.weight('tok_embeddings', tok.data, tok.shape);
  let x = layerNorm(g, w, flatten(g, g.op('Gather', [tokTable, inputs.inputIds], { axis: 0 }), H), `${p}embeddings.norm.weight`, normBias(`${p}embeddings.norm`), H, eps);

  g.scope = 'masks';
  const visible = paddingKeysVisible(g, inputs);
  const needsLocal = layout.local.some((l) => l);
  // plain graphs add a float32 mask to the scores; fused ones give MultiHeadAttention the padding (global) or the window (local)
  const globalMask = variant.fused ? undefined : additiveMask(g, visible);
  const keyPadding = variant.fused ? keyPaddingMask(g, inputs) : undefined;
  let localMask = globalMask;
  if (needsLocal) {
    const rows = g.op('Unsqueeze', [inputs.positions, g.int64s('axis1', [1])]);
    const cols = g.op('Unsqueeze', [inputs.positions, g.int64s('axis0', [0])]);
    const distance = g.op('Abs', [g.op('Sub', [rows, cols])]);
    const inWindow = g.op('LessOrEqual', [distance, g.int64s('half_window', [layout.halfWindow], [])], {}, 'in_window');
    localMask = additiveMask(g, g.op('And', [visible, inWindow]));
  }
  g.scope = 'rotary';
  const ropeTables = variant.fused ? rotaryCaches : rotaryTables;
  const globalRope = ropeTables(g, inputs, layout.globalTheta, heads.headDim, 'global');
  const localRope = needsLocal ? ropeTables(g, inputs, layout.localTheta, heads.headDim, 'local') : globalRope;
  const positionOffset = variant.fused ? g.int64s('position_offset', [0], [1]) : '';

  /** LayerNorm(residual + x), and the sum (the next residual): one SkipLayerNormalization, or Add and LayerNormalization */
  const residualNorm = (residual: Value, input: Value, norm: string, keepSum: boolean): { normed: Value; sum?: Value } => {
    if (variant.skipLayerNorm) return skipLayerNorm(g, w, input, residual, `${norm}.weight`, normBias(norm), H, eps, { keepSum });
    const sum = g.op('Add', [residual, input], {}, 'residual');
    return { normed: layerNorm(g, w, sum, `${norm}.weight`, normBias(norm), H, eps), sum };
  };
  // layer 0's attention norm is the identity (the embedding norm just ran) unless the checkpoint has one
  let normed: Value = variant.fused && w.has(`${p}layers.0.attn_norm.weight`) ? layerNorm(g, w, x, `${p}layers.0.attn_norm.weight`, normBias(`${p}layers.0.attn_norm`), H, eps) : x;
  // layers 1..n-1 as float32, for heads on the last k layers: the residual stream, as transformers' hidden_states
  const earlierLayers: Value[] = [];
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const l = `${p}layers.${i}`;
    g.scope = `layer${i}`;
    const isLocal = layout.local[i]!;
    const [cos, sin] = isLocal ? localRope : globalRope;
    if (variant.fused) {
      // normed is this layer's attention input: the embedding norm's output for layer 0, else the previous layer's residual norm
      const qkv = linear(g, w, normed, `${l}.attn.Wqkv.weight`, m.attentionBias ? `${l}.attn.Wqkv.bias` : undefined, [3 * H, H], q8);
      const [q, k, v] = g.opMulti('Split', [qkv], 3, { axis: -1 }, 'qkv');
      const rotary = (t: Value) => g.msOp('RotaryEmbedding', [to3d(g, t, inputs, H), positionOffset, cos, sin], {}, 'rotary');
      const mask = isLocal ? { bias: localMask! } : { keyPadding };
      const ctx = fusedAttention(g, rotary(q!), rotary(k!), to3d(g, v!, inputs, H), mask, heads);
      const attnOut = linear(g, w, ctx, `${l}.attn.Wo.weight`, m.attentionBias ? `${l}.attn.Wo.bias` : undefined, [H, H], q8);
      const mlp = residualNorm(x, attnOut, `${l}.mlp_norm`, true);
      x = mlp.sum!;
      const wi = linear(g, w, mlp.normed, `${l}.mlp.Wi.weight`, m.mlpBias ? `${l}.mlp.Wi.bias` : undefined, [2 * I, H], q8);
      const [input, gate] = g.opMulti('Split', [wi], 2, { axis: -1 }, 'geglu');
      const glu = g.op('Mul', [fusedActivation(g, input!, cfg.hiddenAct), gate!], {}, 'glu');
      const mlpOut = linear(g, w, glu, `${l}.mlp.Wo.weight`, m.mlpBias ? `${l}.mlp.Wo.bias` : undefined, [H, I], q8);
      const last = i === cfg.numHiddenLayers - 1;
      const nextNorm = last ? `${p}final_norm` : `${p}layers.${i + 1}.attn_norm`;
      const next = residualNorm(x, mlpOut, nextNorm, !last);
      normed = next.normed;
      // the residual sum is this layer's output (SkipLayerNormalization gives it as its fourth output)
      if (!last) x = next.sum!;
    } else {
      // layer 0's attention norm is the identity: the embedding norm just ran
      const normedIn = i === 0 && !w.has(`${l}.attn_norm.weight`) ? x : layerNorm(g, w, x, `${l}.attn_norm.weight`, normBias(`${l}.attn_norm`), H, eps);
      const qkv = linear(g, w, normedIn, `${l}.attn.Wqkv.weight`, m.attentionBias ? `${l}.attn.Wqkv.bias` : undefined, [3 * H, H], q8);
      const [q, k, v] = g.opMulti('Split', [qkv], 3, { axis: -1 }, 'qkv');
      const qh = applyRotary(g, splitHeads(g, q!, inputs, heads), cos, sin);
      const kh = applyRotary(g, splitHeads(g, k!, inputs, heads), cos, sin);
      const ctx = scaledDotProductAttention(g, qh, kh, splitHeads(g, v!, inputs, heads), isLocal ? localMask! : globalMask!, heads);
      x = g.op('Add', [x, linear(g, w, ctx, `${l}.attn.Wo.weight`, m.attentionBias ? `${l}.attn.Wo.bias` : undefined, [H, H], q8)], {}, 'attn_residual');
      const mlpIn = layerNorm(g, w, x, `${l}.mlp_norm.weight`, normBias(`${l}.mlp_norm`), H, eps);
      const wi = linear(g, w, mlpIn, `${l}.mlp.Wi.weight`, m.mlpBias ? `${l}.mlp.Wi.bias` : undefined, [2 * I, H], q8);
      const [input, gate] = g.opMulti('Split', [wi], 2, { axis: -1 }, 'geglu');
      const glu = g.op('Mul', [activation(g, input!, cfg.hiddenAct), gate!], {}, 'glu');
      x = g.op('Add', [x, linear(g, w, glu, `${l}.mlp.Wo.weight`, m.mlpBias ? `${l}.mlp.Wo.bias` : undefined, [H, I], q8)], {}, 'mlp_residual');
    }
    if (i < cfg.numHiddenLayers - 1) earlierLayers.push(g.toFloat32(x));
    progress((i + 1) / cfg.numHiddenLayers, `layer ${i + 1} of ${cfg.numHiddenLayers}`);
  }
  g.scope = '';
  x = variant.fused ? normed : layerNorm(g, w, x, `${p}final_norm.weight`, normBias(`${p}final_norm`), H, eps);
  // float16 graphs give float32 outputs; classifier heads run in float32 (a mean over thousands of tokens can pass float16's range)
  const x32 = g.toFloat32(x);
  const hidden3 = toBatchSeq(g, x32, inputs, H, 'hidden_3d');
  g.output(hidden3, 'last_hidden_state', OnnxDataType.Float, ['batch', 'sequence', H]);

  g.scope = 'head';
  const headSpec = { hidden: H, activation: m.classifierActivation, eps, denseBias: m.classifierBias, normBias: m.normBias };
  const predictionHead = (h: Value) => modernBertHeadTransform(g, w, h, headSpec);
  let labels = 0;
  if (head === 'mlm') {
    const decoder = w.has('decoder.weight') ? g.weight('decoder', w.get('decoder.weight', [tok.shape[0]!, H]).data, [tok.shape[0]!, H]) : tokTable;
    const gemmInputs = [predictionHead(x), decoder];
    if (m.decoderBias && w.has('decoder.bias')) gemmInputs.push(g.weight('decoder_bias', w.get('decoder.bias', [tok.shape[0]!]).data, [tok.shape[0]!]));
    labels = tok.shape[0]!;
    g.output(toBatchSeq(g, g.toFloat32(g.op('Gemm', gemmInputs, { transB: 1 }, 'mlm_logits')), inputs, labels, 'logits_3d'), 'logits', OnnxDataType.Float, ['batch', 'sequence', labels]);
  } else if (head === 'token' || head === 'sequence') {
    g.floatType = OnnxDataType.Float;
    labels = appendClassifierHead(g, w, { hidden2: x32, hidden3, attentionMask: inputs.attentionMask, batchSeqShape: inputs.batchSeqShape }, {
      task: head, architecture: 'modernbert-head', pooling: m.classifierPooling, ...headSpec,
    });
  }
  declareLayerOutputs(g, earlierLayers, inputs, H);
  return { graph: g.build('modernbert'), head, labels, inputNames: ['input_ids', 'attention_mask'] };
}
