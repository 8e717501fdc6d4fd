/**
 * The classification heads of transformers' ...ForTokenClassification and
 * ...ForSequenceClassification, written once. The checkpoint converters
 * (bert.ts, modernbert.ts) append them to an encoder graph; headGraph.ts
 * builds them alone on top of last_hidden_state for a head folder beside an
 * encoder (models/README.md). One implementation, so a head cut out of a
 * checkpoint computes exactly what it computed inside it.
 */
import { EngineError } from '../../errors';
import type { CheckpointWeights } from './checkpointWeights';
import { activation, layerNorm, linear } from './encoderOps';
import type { GraphBuilder, Value } from './graphBuilder';
import { OnnxDataType } from './onnxModel';

export type ClassifierTask = 'token' | 'sequence';

/**
 * linear: classifier on the hidden states (BertForTokenClassification);
 * bert-pooler: tanh(dense(CLS)) then classifier (BertForSequenceClassification);
 * modernbert-head: norm(act(dense(h))) then classifier (ModernBert...Classification);
 * mlp: classifier(gelu(dense(h))), the small MLP the fine-tune command trains
 * (dropout is a training-time layer only).
 */
export type HeadArchitecture = 'linear' | 'bert-pooler' | 'modernbert-head' | 'mlp';
export const headArchitectures: readonly HeadArchitecture[] = ['linear', 'bert-pooler', 'modernbert-head', 'mlp'];

export type HeadPooling = 'cls' | 'mean';

export interface ClassifierHeadSpec {
  task: ClassifierTask;
  architecture: HeadArchitecture;
  /** sequence task: the first token or the mask-weighted mean stands for the note (bert-pooler: cls only) */
  pooling: HeadPooling;
  hidden: number;
  /**
   * linear and mlp: how many of the encoder's last layers the head reads,
   * concatenated (hiddenStates.ts); its input width is hidden * layers. Default 1.
   */
  layers?: number;
  /** mlp: the dense layer's width */
  mlpHidden?: number;
  /** bert-pooler: the dense layer's tensor base name ('bert.pooler.dense' in a checkpoint, 'pooler.dense' in a head folder) */
  poolerDense?: string;
  /** modernbert-head: transformers' classifier_activation, norm_eps, classifier_bias, norm_bias */
  activation?: string;
  eps?: number;
  denseBias?: boolean;
  normBias?: boolean;
}

export interface HeadInputs {
  /** [batch*seq, hidden * layers] */
  hidden2: Value;
  /** [batch, seq, hidden * layers] */
  hidden3: Value;
  /** int64 [batch, seq] */
  attentionMask: Value;
  /** [batch, seq] as int64, the shape of attentionMask */
  batchSeqShape: Value;
}

/** ModernBERT's prediction head, norm(act(dense(h))), shared by its masked-LM and classification heads */
export function modernBertHeadTransform(g: GraphBuilder, w: CheckpointWeights, h: Value, spec: Pick<ClassifierHeadSpec, 'hidden' | 'activation' | 'eps' | 'denseBias' | 'normBias'>): Value {
  const H = spec.hidden;
  const dense = linear(g, w, h, 'head.dense.weight', spec.denseBias ? 'head.dense.bias' : undefined, [H, H]);
  return layerNorm(g, w, activation(g, dense, spec.activation ?? 'gelu'), 'head.norm.weight', spec.normBias ? 'head.norm.bias' : undefined, H, spec.eps ?? 1e-5);
}

/** Rejects combinations transformers has no class for, before any tensor is read. */
export function checkHeadSpec(spec: ClassifierHeadSpec): void {
  if (spec.architecture === 'bert-pooler' && spec.task === 'token') {
    throw new EngineError('unsupported-model', 'A "bert-pooler" head pools the whole note into one vector, so it cannot classify tokens; use "linear" for token classification.');
  }
  if (spec.architecture === 'bert-pooler' && spec.pooling !== 'cls') {
    throw new EngineError('unsupported-model', 'A "bert-pooler" head reads the first ([CLS]) token; pooling must be "cls".');
  }
  const layers = spec.layers ?? 1;
  if (!Number.isInteger(layers) || layers < 1) throw new EngineError('unsupported-model', `"layers" must be a whole number, 1 or more; got ${layers}.`);
  if (layers > 1 && spec.architecture !== 'linear' && spec.architecture !== 'mlp') {
    throw new EngineError('unsupported-model', `A "${spec.architecture}" head reads the last layer only; "layers" > 1 needs a "linear" or "mlp" head.`);
  }
  if (spec.architecture === 'mlp' && !(Number.isInteger(spec.mlpHidden) && spec.mlpHidden! > 0)) {
    throw new EngineError('unsupported-model', 'An "mlp" head needs "mlp_hidden_size", the width of its dense layer.');
  }
}

/** The width of the features a head reads: hidden size times the layers concatenated. */
export function headInputWidth(spec: Pick<ClassifierHeadSpec, 'hidden' | 'layers'>): number {
  return spec.hidden * (spec.layers ?? 1);
}

/** classifier(gelu(dense(x))): the fine-tune command's MLP head */
function mlpLayers(g: GraphBuilder, w: CheckpointWeights, x: Value, spec: ClassifierHeadSpec, labels: number): Value {
  const M = spec.mlpHidden!;
  const hidden = activation(g, linear(g, w, x, 'dense.weight', 'dense.bias', [M, headInputWidth(spec)]), 'gelu');
  return linear(g, w, hidden, 'classifier.weight', 'classifier.bias', [labels, M]);
}

/**
 * Appends the head and declares its output "logits": [batch, seq, labels] for
 * token tasks, [batch, labels] for sequence tasks. Returns the label count,
 * read from classifier.weight.
 */
export function appendClassifierHead(g: GraphBuilder, w: CheckpointWeights, io: HeadInputs, spec: ClassifierHeadSpec): number {
  checkHeadSpec(spec);
  const H = headInputWidth(spec);
  const labels = w.get('classifier.weight').shape[0]!;
  const modernHead = (h: Value): Value => modernBertHeadTransform(g, w, h, spec);
  const classify = (h: Value): Value => (spec.architecture === 'mlp' ? mlpLayers(g, w, h, spec, labels) : linear(g, w, h, 'classifier.weight', 'classifier.bias', [labels, H]));
  if (spec.task === 'token') {
    const h = spec.architecture === 'modernbert-head' ? modernHead(io.hidden2) : io.hidden2;
    const logits = classify(h);
    const shape = g.op('Concat', [io.batchSeqShape, g.int64s('labels_dim', [labels])], { axis: 0 }, 'logits_3d_shape');
    g.output(g.op('Reshape', [logits, shape], {}, 'logits_3d'), 'logits', OnnxDataType.Float, ['batch', 'sequence', labels]);
    return labels;
  }
  let pooled: Value;
  if (spec.pooling === 'cls') {
    pooled = g.op('Gather', [io.hidden3, g.int64s('first', [0], [])], { axis: 1 }, 'cls_token');
  } else {
    const maskF = g.op('Cast', [io.attentionMask], { to: OnnxDataType.Float });
    const summed = g.op('ReduceSum', [g.op('Mul', [io.hidden3, g.op('Unsqueeze', [maskF, g.int64s('axis2', [2])])]), g.int64s('axis1', [1])], { keepdims: 0 });
    pooled = g.op('Div', [summed, g.op('ReduceSum', [maskF, g.int64s('axis1', [1])], { keepdims: 1 })], {}, 'mean_pool');
  }
  if (spec.architecture === 'bert-pooler') {
    const base = spec.poolerDense ?? 'pooler.dense';
    pooled = g.op('Tanh', [linear(g, w, pooled, `${base}.weight`, `${base}.bias`, [H, H])], {}, 'pooled');
  } else if (spec.architecture === 'modernbert-head') {
    pooled = modernHead(pooled);
  }
  const logits = classify(pooled);
  g.output(logits, 'logits', OnnxDataType.Float, ['batch', labels]);
  return labels;
}
