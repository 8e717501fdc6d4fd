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
  activation, additiveMask, declareInputs, declareLayerOutputs, flatten, layerNorm, linear, paddingKeysVisible, scaledDotProductAttention, splitHeads, toBatchSeq,
  type EncoderInputs,
} from './encoderOps';
import { GraphBuilder, type Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';
import { chooseHead, type BuiltGraph, type BuildProgress } from './heads';
import { appendClassifierHead, modernBertHeadTransform } from './classifierHead';

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

/** cos and sin tables [seq, headDim] for one theta, computed in the graph so any length works */
function rotaryTables(g: GraphBuilder, inputs: EncoderInputs, theta: number, headDim: number, name: string): [Value, Value] {
  // float32 inverse frequencies, as transformers computes them
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / headDim))));
  const pos = g.op('Unsqueeze', [g.op('Cast', [inputs.positions], { to: OnnxDataType.Float }), g.int64s('axis1', [1])]);
  const freqs = g.op('Mul', [pos, g.floats(`${name}_inv_freq`, invFreq)]);
  const emb = g.op('Concat', [freqs, freqs], { axis: -1 });
  return [g.op('Cos', [emb], {}, `${name}_cos`), g.op('Sin', [emb], {}, `${name}_sin`)];
}

/** x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1] */
function applyRotary(g: GraphBuilder, x: Value, cos: Value, sin: Value): Value {
  const [x1, x2] = g.opMulti('Split', [x], 2, { axis: -1 });
  const rotated = g.op('Concat', [g.op('Neg', [x2!]), x1!], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])], {}, 'rotary');
}

export function buildModernBertGraph(cfg: ModelConfig, w: CheckpointWeights, progress: BuildProgress = () => {}): BuiltGraph {
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
  const globalMask = additiveMask(g, visible);
  const needsLocal = layout.local.some((l) => l);
  let localMask = globalMask;
  if (needsLocal) {
    const rows = g.op('Unsqueeze', [inputs.positions, g.int64s('axis1', [1])]);
    const cols = g.op('Unsqueeze', [inputs.positions, g.int64s('axis0', [0])]);
    const distance = g.op('Abs', [g.op('Sub', [rows, cols])]);
    const inWindow = g.op('LessOrEqual', [distance, g.int64s('half_window', [layout.halfWindow], [])], {}, 'in_window');
    localMask = additiveMask(g, g.op('And', [visible, inWindow]));
  }
  g.scope = 'rotary';
  const globalRope = rotaryTables(g, inputs, layout.globalTheta, heads.headDim, 'global');
  const localRope = needsLocal ? rotaryTables(g, inputs, layout.localTheta, heads.headDim, 'local') : globalRope;

  const layerOutputs: Value[] = [];
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const l = `${p}layers.${i}`;
    g.scope = `layer${i}`;
    const isLocal = layout.local[i]!;
    const [cos, sin] = isLocal ? localRope : globalRope;
    // layer 0's attention norm is the identity: the embedding norm just ran
    const normed = i === 0 && !w.has(`${l}.attn_norm.weight`) ? x : layerNorm(g, w, x, `${l}.attn_norm.weight`, normBias(`${l}.attn_norm`), H, eps);
    const qkv = linear(g, w, normed, `${l}.attn.Wqkv.weight`, m.attentionBias ? `${l}.attn.Wqkv.bias` : undefined, [3 * H, H]);
    const [q, k, v] = g.opMulti('Split', [qkv], 3, { axis: -1 }, 'qkv');
    const qh = applyRotary(g, splitHeads(g, q!, inputs, heads), cos, sin);
    const kh = applyRotary(g, splitHeads(g, k!, inputs, heads), cos, sin);
    const ctx = scaledDotProductAttention(g, qh, kh, splitHeads(g, v!, inputs, heads), isLocal ? localMask : globalMask, heads);
    x = g.op('Add', [x, linear(g, w, ctx, `${l}.attn.Wo.weight`, m.attentionBias ? `${l}.attn.Wo.bias` : undefined, [H, H])], {}, 'attn_residual');
    const mlpIn = layerNorm(g, w, x, `${l}.mlp_norm.weight`, normBias(`${l}.mlp_norm`), H, eps);
    const wi = linear(g, w, mlpIn, `${l}.mlp.Wi.weight`, m.mlpBias ? `${l}.mlp.Wi.bias` : undefined, [2 * I, H]);
    const [input, gate] = g.opMulti('Split', [wi], 2, { axis: -1 }, 'geglu');
    const glu = g.op('Mul', [activation(g, input!, cfg.hiddenAct), gate!], {}, 'glu');
    x = g.op('Add', [x, linear(g, w, glu, `${l}.mlp.Wo.weight`, m.mlpBias ? `${l}.mlp.Wo.bias` : undefined, [H, I])], {}, 'mlp_residual');
    layerOutputs.push(x);
    progress((i + 1) / cfg.numHiddenLayers, `layer ${i + 1} of ${cfg.numHiddenLayers}`);
  }
  g.scope = '';
  x = layerNorm(g, w, x, `${p}final_norm.weight`, normBias(`${p}final_norm`), H, eps);
  const hidden3 = toBatchSeq(g, x, inputs, H, 'hidden_3d');
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
    g.output(toBatchSeq(g, g.op('Gemm', gemmInputs, { transB: 1 }, 'mlm_logits'), inputs, labels, 'logits_3d'), 'logits', OnnxDataType.Float, ['batch', 'sequence', labels]);
  } else if (head === 'token' || head === 'sequence') {
    labels = appendClassifierHead(g, w, { hidden2: x, hidden3, attentionMask: inputs.attentionMask, batchSeqShape: inputs.batchSeqShape }, {
      task: head, architecture: 'modernbert-head', pooling: m.classifierPooling, ...headSpec,
    });
  }
  declareLayerOutputs(g, layerOutputs, inputs, H);
  return { graph: g.build('modernbert'), head, labels, inputNames: ['input_ids', 'attention_mask'] };
}
