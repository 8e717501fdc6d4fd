import { EngineError } from '../errors';

export type Architecture = 'bert' | 'modernbert';

/** The parts of config.json the engine uses, validated. Field names follow transformers. */
export interface ModelConfig {
  modelType: Architecture;
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** BERT: layer_norm_eps; ModernBERT: norm_eps */
  layerNormEps: number;
  padTokenId: number;
  /** BERT only */
  typeVocabSize: number;
  hiddenAct: string;
  /** ModernBERT only */
  modernbert?: {
    globalRopeTheta: number;
    localRopeTheta: number;
    localAttention: number;
    globalAttnEveryNLayers: number;
    normBias: boolean;
    attentionBias: boolean;
    mlpBias: boolean;
    classifierPooling: 'cls' | 'mean';
    classifierActivation: string;
    classifierBias: boolean;
    decoderBias: boolean;
  };
  /** label names by class index, from id2label (empty when absent) */
  id2label: string[];
  /** the raw object, for fields only one task needs */
  raw: Record<string, unknown>;
}

function num(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new EngineError('bad-config', `config.json: "${key}" is ${v === undefined ? 'missing' : 'not a number'}.`);
}

function bool(raw: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = raw[key];
  return typeof v === 'boolean' ? v : fallback;
}

function str(raw: Record<string, unknown>, key: string, fallback: string): string {
  const v = raw[key];
  return typeof v === 'string' ? v : fallback;
}

function parseId2Label(raw: Record<string, unknown>): string[] {
  const m = raw['id2label'];
  if (!m || typeof m !== 'object') return [];
  const entries = Object.entries(m as Record<string, unknown>);
  const labels: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string') {
      throw new EngineError('bad-config', `config.json: id2label must map 0..${entries.length - 1} to label names; found key "${k}".`);
    }
    labels[i] = v;
  }
  return labels;
}

/** Parses config.json text. model_type decides the architecture, never a guess from sizes or names. */
export function parseConfig(text: string): ModelConfig {
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    raw = parsed as Record<string, unknown>;
  } catch (e) {
    throw new EngineError('bad-config', `config.json is not valid JSON (${(e as Error).message}).`);
  }
  const modelType = raw['model_type'];
  if (modelType !== 'bert' && modelType !== 'modernbert') {
    throw new EngineError(
      'unsupported-model',
      `config.json says model_type "${String(modelType)}"; this extension runs "bert" and "modernbert" checkpoints.`,
    );
  }
  const architectures = Array.isArray(raw['architectures']) ? (raw['architectures'] as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  const isModern = modelType === 'modernbert';
  const cfg: ModelConfig = {
    modelType,
    architectures,
    vocabSize: num(raw, 'vocab_size'),
    hiddenSize: num(raw, 'hidden_size'),
    numHiddenLayers: num(raw, 'num_hidden_layers'),
    numAttentionHeads: num(raw, 'num_attention_heads'),
    intermediateSize: num(raw, 'intermediate_size'),
    maxPositionEmbeddings: num(raw, 'max_position_embeddings', 512),
    layerNormEps: isModern ? num(raw, 'norm_eps', 1e-5) : num(raw, 'layer_norm_eps', 1e-12),
    padTokenId: num(raw, 'pad_token_id', 0),
    typeVocabSize: isModern ? 0 : num(raw, 'type_vocab_size', 2),
    hiddenAct: str(raw, isModern ? 'hidden_activation' : 'hidden_act', 'gelu'),
    id2label: parseId2Label(raw),
    raw,
  };
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new EngineError('bad-config', `config.json: hidden_size ${cfg.hiddenSize} is not a multiple of num_attention_heads ${cfg.numAttentionHeads}.`);
  }
  for (const k of ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new EngineError('bad-config', `config.json: ${k} must be a positive integer.`);
  }
  if (isModern) {
    const pooling = str(raw, 'classifier_pooling', 'cls');
    if (pooling !== 'cls' && pooling !== 'mean') {
      throw new EngineError('unsupported-model', `config.json: classifier_pooling "${pooling}" is not supported (use "cls" or "mean").`);
    }
    cfg.modernbert = {
      globalRopeTheta: num(raw, 'global_rope_theta', 160000),
      localRopeTheta: num(raw, 'local_rope_theta', 10000),
      localAttention: num(raw, 'local_attention', 128),
      globalAttnEveryNLayers: num(raw, 'global_attn_every_n_layers', 3),
      normBias: bool(raw, 'norm_bias', false),
      attentionBias: bool(raw, 'attention_bias', false),
      mlpBias: bool(raw, 'mlp_bias', false),
      classifierPooling: pooling,
      classifierActivation: str(raw, 'classifier_activation', 'gelu'),
      classifierBias: bool(raw, 'classifier_bias', false),
      decoderBias: bool(raw, 'decoder_bias', true),
    };
  }
  return cfg;
}
