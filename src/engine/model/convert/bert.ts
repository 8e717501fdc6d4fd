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
import type { CheckpointWeights } from './checkpointWeights';
import {
  activation, additiveMask, declareInputs, declareLayerOutputs, flatten, layerNorm, linear, paddingKeysVisible, scaledDotProductAttention, splitHeads, toBatchSeq,
} from './encoderOps';
import { GraphBuilder, type Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';
import { chooseHead, type BuiltGraph, type BuildProgress } from './heads';
import { appendClassifierHead } from './classifierHead';

/** old checkpoints name LayerNorm parameters gamma/beta */
function layerNormNames(w: CheckpointWeights, base: string): [string, string] {
  return w.has(`${base}.gamma`) && !w.has(`${base}.weight`) ? [`${base}.gamma`, `${base}.beta`] : [`${base}.weight`, `${base}.bias`];
}

export function buildBertGraph(cfg: ModelConfig, w: CheckpointWeights, progress: BuildProgress = () => {}): BuiltGraph {
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

  const mask = additiveMask(g, paddingKeysVisible(g, inputs));
  const layerOutputs: Value[] = [];
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const l = `${p}encoder.layer.${i}`;
    g.scope = `layer${i}`;
    const q = splitHeads(g, linear(g, w, x, `${l}.attention.self.query.weight`, `${l}.attention.self.query.bias`, [H, H]), inputs, heads);
    const k = splitHeads(g, linear(g, w, x, `${l}.attention.self.key.weight`, `${l}.attention.self.key.bias`, [H, H]), inputs, heads);
    const v = splitHeads(g, linear(g, w, x, `${l}.attention.self.value.weight`, `${l}.attention.self.value.bias`, [H, H]), inputs, heads);
    const ctx = scaledDotProductAttention(g, q, k, v, mask, heads);
    const attnOut = linear(g, w, ctx, `${l}.attention.output.dense.weight`, `${l}.attention.output.dense.bias`, [H, H]);
    [lnW, lnB] = layerNormNames(w, `${l}.attention.output.LayerNorm`);
    x = layerNorm(g, w, g.op('Add', [attnOut, x]), lnW, lnB, H, eps);
    const inter = activation(g, linear(g, w, x, `${l}.intermediate.dense.weight`, `${l}.intermediate.dense.bias`, [I, H]), cfg.hiddenAct);
    const out = linear(g, w, inter, `${l}.output.dense.weight`, `${l}.output.dense.bias`, [H, I]);
    [lnW, lnB] = layerNormNames(w, `${l}.output.LayerNorm`);
    x = layerNorm(g, w, g.op('Add', [out, x]), lnW, lnB, H, eps);
    layerOutputs.push(x);
    progress((i + 1) / cfg.numHiddenLayers, `layer ${i + 1} of ${cfg.numHiddenLayers}`);
  }
  g.scope = '';
  const hidden3 = toBatchSeq(g, x, inputs, H, 'hidden_3d');
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
    const logits = g.op('Gemm', gemmInputs, { transB: 1 }, 'mlm_logits');
    g.output(toBatchSeq(g, logits, inputs, labels, 'logits_3d'), 'logits', OnnxDataType.Float, ['batch', 'sequence', labels]);
  } else if (head === 'token' || head === 'sequence') {
    labels = appendClassifierHead(g, w, { hidden2: x, hidden3, attentionMask: inputs.attentionMask, batchSeqShape: inputs.batchSeqShape }, {
      task: head, architecture: head === 'token' ? 'linear' : 'bert-pooler', pooling: 'cls', hidden: H, poolerDense: `${p}pooler.dense`,
    });
  }
  declareLayerOutputs(g, layerOutputs, inputs, H);
  return { graph: g.build('bert'), head, labels, inputNames: ['input_ids', 'attention_mask', 'token_type_ids'] };
}
