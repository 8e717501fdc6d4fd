/**
 * BERT (transformers' BertModel and its MaskedLM, TokenClassification and
 * SequenceClassification heads) as an ONNX graph. Post-LayerNorm encoder with
 * learned absolute positions and token types.
 *
 * Inputs: input_ids, attention_mask and token_type_ids, all int64 [batch, seq].
 * Callers pass zeros for token_type_ids (single-segment text, as every
 * feature here uses). Positions are 0..seq-1, so seq must not exceed
 * max_position_embeddings: the session validates that before run().
 */
import { EngineError } from '../../errors';
import type { ModelConfig } from '../config';
import type { CheckpointWeights, Tensor } from './checkpointWeights';
import {
  activation, additiveMask, declareInputs, declareLayerOutputs, flatten, fusedActivation, fusedAttention, keyPaddingMask, layerNorm, linear, linearFrom,
  paddingKeysVisible, scaledDotProductAttention, skipLayerNorm, splitHeads, to3d, toBatchSeq, type LinearOptions,
} from './encoderOps';
import { GraphBuilder, type Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';
import { chooseHead, type BuiltGraph, type BuildProgress } from './heads';
import { appendClassifierHead } from './classifierHead';
import { checkVariant, referenceVariant, type GraphVariant } from './variant';

/** old checkpoints name LayerNorm parameters gamma/beta */
function layerNormNames(w: CheckpointWeights, base: string): [string, string] {
  return w.has(`${base}.gamma`) && !w.has(`${base}.weight`) ? [`${base}.gamma`, `${base}.beta`] : [`${base}.weight`, `${base}.bias`];
}

/** query, key and value weights (and biases) of one layer joined into one [3H, H] linear layer */
function joinedQkv(w: CheckpointWeights, l: string, H: number): { W: Tensor; b: Tensor } {
  const W = new Float32Array(3 * H * H);
  const b = new Float32Array(3 * H);
  ['query', 'key', 'value'].forEach((name, i) => {
    W.set(w.get(`${l}.attention.self.${name}.weight`, [H, H]).data, i * H * H);
    b.set(w.get(`${l}.attention.self.${name}.bias`, [H]).data, i * H);
  });
  return { W: { data: W, shape: [3 * H, H] }, b: { data: b, shape: [3 * H] } };
}

export function buildBertGraph(cfg: ModelConfig, w: CheckpointWeights, progress: BuildProgress = () => {}, variant: GraphVariant = referenceVariant): BuiltGraph {
  checkVariant(variant);
  const p = w.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : w.has('embeddings.word_embeddings.weight') ? '' : undefined;
  if (p === undefined && (w.has('model.embeddings.tok_embeddings.weight') || w.has('embeddings.tok_embeddings.weight'))) {
    throw new EngineError('bad-config', 'config.json says model_type "bert" but the weights are ModernBERT\'s (tok_embeddings, layers.N.attn.Wqkv); set "model_type": "modernbert" in config.json if that is what the checkpoint is.');
  }
  const positionType = cfg.raw['position_embedding_type'];
  if (positionType !== undefined && positionType !== 'absolute') {
    throw new EngineError('unsupported-model', `config.json asks for position_embedding_type "${String(positionType)}"; the converter supports BERT's "absolute" position embeddings only.`);
  }
  if (cfg.raw['is_decoder'] === true) {
    // transformers gives a decoder BERT a causal (left-to-right) mask; converting it with the encoder's bidirectional one would be silently wrong
    throw new EngineError('unsupported-model', 'config.json sets "is_decoder": true, a left-to-right (causal) BERT; the converter builds bidirectional encoders only. Use an encoder checkpoint (is_decoder false).');
  }
  if (p === undefined) {
    throw new EngineError('corrupt-weights', 'The checkpoint has no BERT word embeddings (bert.embeddings.word_embeddings.weight); config.json says model_type "bert". Are the weights from a different architecture?');
  }
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const heads = { heads: cfg.numAttentionHeads, headDim: H / cfg.numAttentionHeads };
  const eps = cfg.layerNormEps;
  const head = chooseHead(cfg, {
    mlm: w.has('cls.predictions.transform.dense.weight'),
    token: w.has('classifier.weight') && !w.has(`${p}pooler.dense.weight`),
    sequence: w.has('classifier.weight') && w.has(`${p}pooler.dense.weight`),
    classifierOnly: w.has('classifier.weight'),
  });
  const g = new GraphBuilder();
  if (variant.precision === 'fp16') g.floatType = OnnxDataType.Float16;
  const q8: LinearOptions = variant.precision === 'int8' ? { int8: variant.int8Route } : {};
  const inputs = declareInputs(g);
  const tokenTypeIds = g.input('token_type_ids', OnnxDataType.Int64, ['batch', 'sequence']);

  g.scope = 'embeddings';
  const word = w.get(`${p}embeddings.word_embeddings.weight`);
  if (word.shape[1] !== H || word.shape[0] < cfg.vocabSize) {
    throw new EngineError('corrupt-weights', `Word embeddings have shape [${word.shape.join(', ')}] but config.json says vocab_size ${cfg.vocabSize}, hidden_size ${H}.`);
  }
  const wordTable = g.weight('word_embeddings', word.data, word.shape);
  const pos = w.get(`${p}embeddings.position_embeddings.weight`, [cfg.maxPositionEmbeddings, H]);
  const types = w.get(`${p}embeddings.token_type_embeddings.weight`, [cfg.typeVocabSize, H]);
  let x3 = g.op('Add', [g.op('Gather', [wordTable, inputs.inputIds], { axis: 0 }), g.op('Gather', [g.weight('token_type_embeddings', types.data, types.shape), tokenTypeIds], { axis: 0 })]);
  x3 = g.op('Add', [x3, g.op('Gather', [g.weight('position_embeddings', pos.data, pos.shape), inputs.positions], { axis: 0 })]);
  let [lnW, lnB] = layerNormNames(w, `${p}embeddings.LayerNorm`);
  let x = layerNorm(g, w, flatten(g, x3, H), lnW, lnB, H, eps);

  const mask = variant.fused ? undefined : additiveMask(g, paddingKeysVisible(g, inputs));
  /** LayerNorm(residual + x W^T + b): one SkipLayerNormalization, or Gemm, Add and LayerNormalization */
  const residualNorm = (g: GraphBuilder, w: CheckpointWeights, residual: Value, input: Value, dense: string, dims: [number, number], lnW: string, lnB: string): Value => {
    if (variant.skipLayerNorm) {
      const out = linear(g, w, input, `${dense}.weight`, undefined, dims, q8);
      return skipLayerNorm(g, w, out, residual, lnW, lnB, H, eps, { addBias: w.get(`${dense}.bias`, [dims[0]]) }).normed;
    }
    return layerNorm(g, w, g.op('Add', [linear(g, w, input, `${dense}.weight`, `${dense}.bias`, dims, q8), residual]), lnW, lnB, H, eps);
  };
  const keyPadding = variant.fused ? keyPaddingMask(g, inputs) : undefined;
  // layers 1..n-1 as float32, for heads on the last k layers
  const earlierLayers: Value[] = [];
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const l = `${p}encoder.layer.${i}`;
    g.scope = `layer${i}`;
    if (variant.fused) {
      const { W, b } = joinedQkv(w, l, H);
      const [q, k, v] = g.opMulti('Split', [linearFrom(g, x, W, b, `${l}.attention.self.qkv`, q8)], 3, { axis: -1 }, 'qkv');
      const ctx = fusedAttention(g, to3d(g, q!, inputs, H), to3d(g, k!, inputs, H), to3d(g, v!, inputs, H), { keyPadding }, heads);
      [lnW, lnB] = layerNormNames(w, `${l}.attention.output.LayerNorm`);
      x = residualNorm(g, w, x, ctx, `${l}.attention.output.dense`, [H, H], lnW, lnB);
      const interBias = w.get(`${l}.intermediate.dense.bias`, [I]);
      const inter = fusedActivation(g, linear(g, w, x, `${l}.intermediate.dense.weight`, undefined, [I, H], q8), cfg.hiddenAct, g.weight(`${l}.intermediate.dense.bias`, interBias.data, [I]));
      [lnW, lnB] = layerNormNames(w, `${l}.output.LayerNorm`);
      x = residualNorm(g, w, x, inter, `${l}.output.dense`, [H, I], lnW, lnB);
    } else {
      const q = splitHeads(g, linear(g, w, x, `${l}.attention.self.query.weight`, `${l}.attention.self.query.bias`, [H, H], q8), inputs, heads);
      const k = splitHeads(g, linear(g, w, x, `${l}.attention.self.key.weight`, `${l}.attention.self.key.bias`, [H, H], q8), inputs, heads);
      const v = splitHeads(g, linear(g, w, x, `${l}.attention.self.value.weight`, `${l}.attention.self.value.bias`, [H, H], q8), inputs, heads);
      const ctx = scaledDotProductAttention(g, q, k, v, mask!, heads);
      const attnOut = linear(g, w, ctx, `${l}.attention.output.dense.weight`, `${l}.attention.output.dense.bias`, [H, H], q8);
      [lnW, lnB] = layerNormNames(w, `${l}.attention.output.LayerNorm`);
      x = layerNorm(g, w, g.op('Add', [attnOut, x]), lnW, lnB, H, eps);
      const inter = activation(g, linear(g, w, x, `${l}.intermediate.dense.weight`, `${l}.intermediate.dense.bias`, [I, H], q8), cfg.hiddenAct);
      const out = linear(g, w, inter, `${l}.output.dense.weight`, `${l}.output.dense.bias`, [H, I], q8);
      [lnW, lnB] = layerNormNames(w, `${l}.output.LayerNorm`);
      x = layerNorm(g, w, g.op('Add', [out, x]), lnW, lnB, H, eps);
    }
    if (i < cfg.numHiddenLayers - 1) earlierLayers.push(g.toFloat32(x));
    progress((i + 1) / cfg.numHiddenLayers, `layer ${i + 1} of ${cfg.numHiddenLayers}`);
  }
  g.scope = '';
  // float16 graphs give float32 outputs; classifier heads run in float32 (a mean over thousands of tokens can pass float16's range)
  const x32: Value = g.toFloat32(x);
  const hidden3 = toBatchSeq(g, x32, inputs, H, 'hidden_3d');
  g.output(hidden3, 'last_hidden_state', OnnxDataType.Float, ['batch', 'sequence', H]);

  g.scope = 'head';
  let labels = 0;
  if (head === 'mlm') {
    const dense = activation(g, linear(g, w, x, 'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias', [H, H]), cfg.hiddenAct);
    [lnW, lnB] = layerNormNames(w, 'cls.predictions.transform.LayerNorm');
    const t = layerNorm(g, w, dense, lnW, lnB, H, eps);
    // the decoder is tied to the word embeddings unless the checkpoint stores its own
    const decoder = w.has('cls.predictions.decoder.weight') ? g.weight('decoder', w.get('cls.predictions.decoder.weight', [word.shape[0], H]).data, [word.shape[0], H]) : wordTable;
    const biasName = w.find('cls.predictions.bias', 'cls.predictions.decoder.bias');
    const gemmInputs = [t, decoder];
    if (biasName) gemmInputs.push(g.weight('decoder_bias', w.get(biasName, [word.shape[0]]).data, [word.shape[0]]));
    labels = word.shape[0];
    const logits = g.toFloat32(g.op('Gemm', gemmInputs, { transB: 1 }, 'mlm_logits'));
    g.output(toBatchSeq(g, logits, inputs, labels, 'logits_3d'), 'logits', OnnxDataType.Float, ['batch', 'sequence', labels]);
  } else if (head === 'token' || head === 'sequence') {
    g.floatType = OnnxDataType.Float;
    labels = appendClassifierHead(g, w, { hidden2: x32, hidden3, attentionMask: inputs.attentionMask, batchSeqShape: inputs.batchSeqShape }, {
      task: head, architecture: head === 'token' ? 'linear' : 'bert-pooler', pooling: 'cls', hidden: H, poolerDense: `${p}pooler.dense`,
    });
  }
  declareLayerOutputs(g, earlierLayers, inputs, H);
  return { graph: g.build('bert'), head, labels, inputNames: ['input_ids', 'attention_mask', 'token_type_ids'] };
}
