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
  throw new EngineError('bad-config', `config.json: "${key}" is ${v === undefined ? 'missing' : `not a number (${JSON.stringify(v)})`}.`);
}

/** a size or count: a whole number of at least 1 (0 layers or heads would make an empty or NaN model) */
function positiveInt(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = num(raw, key, fallback);
  if (!Number.isInteger(v) || v < 1) throw new EngineError('bad-config', `config.json: "${key}" must be a whole number of at least 1 (it is ${v}).`);
  return v;
}

/** an epsilon or a rotary base: finite and above zero, or every output of the model is NaN */
function positive(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = num(raw, key, fallback);
  if (!(v > 0)) throw new EngineError('bad-config', `config.json: "${key}" must be greater than 0 (it is ${v}).`);
  return v;
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
  if (modelType === undefined || modelType === null || modelType === '') {
    throw new EngineError(
      'bad-config',
      'config.json has no "model_type"; add "model_type": "bert" or "modernbert", whichever architecture the checkpoint was trained with.',
    );
  }
  if (modelType !== 'bert' && modelType !== 'modernbert') {
    throw new EngineError(
      'unsupported-model',
      `config.json says model_type ${JSON.stringify(modelType)}; this extension runs "bert" and "modernbert" checkpoints.`,
    );
  }
  const architectures = Array.isArray(raw['architectures']) ? (raw['architectures'] as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  const isModern = modelType === 'modernbert';
  const cfg: ModelConfig = {
    modelType,
    architectures,
    vocabSize: positiveInt(raw, 'vocab_size'),
    hiddenSize: positiveInt(raw, 'hidden_size'),
    numHiddenLayers: positiveInt(raw, 'num_hidden_layers'),
    numAttentionHeads: positiveInt(raw, 'num_attention_heads'),
    intermediateSize: positiveInt(raw, 'intermediate_size'),
    maxPositionEmbeddings: positiveInt(raw, 'max_position_embeddings', 512),
    layerNormEps: isModern ? positive(raw, 'norm_eps', 1e-5) : positive(raw, 'layer_norm_eps', 1e-12),
    // transformers allows pad_token_id null; the engine pads with the tokenizer's own pad token
    padTokenId: raw['pad_token_id'] === null ? 0 : num(raw, 'pad_token_id', 0),
    typeVocabSize: isModern ? 0 : positiveInt(raw, 'type_vocab_size', 2),
    hiddenAct: str(raw, isModern ? 'hidden_activation' : 'hidden_act', 'gelu'),
    id2label: parseId2Label(raw),
    raw,
  };
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new EngineError('bad-config', `config.json: hidden_size ${cfg.hiddenSize} is not a multiple of num_attention_heads ${cfg.numAttentionHeads}.`);
  }
  if (isModern) {
    const pooling = str(raw, 'classifier_pooling', 'cls');
    if (pooling !== 'cls' && pooling !== 'mean') {
      throw new EngineError('unsupported-model', `config.json: classifier_pooling "${pooling}" is not supported (use "cls" or "mean").`);
    }
    if ((cfg.hiddenSize / cfg.numAttentionHeads) % 2 !== 0) {
      throw new EngineError('bad-config', `config.json: hidden_size / num_attention_heads is ${cfg.hiddenSize / cfg.numAttentionHeads}; rotary embeddings need an even head size.`);
    }
    const { globalRopeTheta, localRopeTheta } = modernBertRopeThetas(raw);
    checkLayerTypes(raw, cfg.numHiddenLayers);
    cfg.modernbert = {
      globalRopeTheta,
      localRopeTheta,
      localAttention: positiveInt(raw, 'local_attention', 128),
      globalAttnEveryNLayers: positiveInt(raw, 'global_attn_every_n_layers', 3),
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

/**
 * ModernBERT's rotary bases as transformers reads them: rope_parameters (newer
 * configs) first, then global_rope_theta / local_rope_theta, then the defaults;
 * a null local_rope_theta means local layers use the global theta. Scaled
 * rotary embeddings are refused.
 */
export function modernBertRopeThetas(raw: Record<string, unknown>): { globalRopeTheta: number; localRopeTheta: number } {
  refuseRopeScaling(raw);
  const globalRopeTheta = ropeParametersTheta(raw, 'full_attention') ?? positive(raw, 'global_rope_theta', 160000);
  const localRopeTheta = ropeParametersTheta(raw, 'sliding_attention') ?? (raw['local_rope_theta'] === null ? globalRopeTheta : positive(raw, 'local_rope_theta', 10000));
  return { globalRopeTheta, localRopeTheta };
}

/**
 * transformers applies rope_scaling (linear, dynamic, yarn, ...) to ModernBERT's
 * rotary embeddings; the converter builds the default rotary embedding only, so
 * a scaled checkpoint is refused rather than converted silently wrong.
 */
function refuseRopeScaling(raw: Record<string, unknown>): void {
  const scaling = raw['rope_scaling'];
  if (scaling === undefined || scaling === null) return;
  const type = typeof scaling === 'object' ? ((scaling as Record<string, unknown>)['rope_type'] ?? (scaling as Record<string, unknown>)['type']) : scaling;
  if (type === 'default') return;
  throw new EngineError(
    'unsupported-model',
    `config.json asks for rope_scaling ${JSON.stringify(type ?? scaling)}; the converter supports ModernBERT's default rotary embedding only (rope_scaling null).`,
  );
}

/** The theta newer transformers save in rope_parameters for one attention kind, refusing scaled rotary types. */
function ropeParametersTheta(raw: Record<string, unknown>, kind: 'full_attention' | 'sliding_attention'): number | undefined {
  const params = raw['rope_parameters'];
  if (!params || typeof params !== 'object') return undefined;
  const entry = (params as Record<string, unknown>)[kind];
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  const type = e['rope_type'] ?? e['type'];
  if (type !== undefined && type !== 'default') {
    throw new EngineError('unsupported-model', `config.json asks for rope_type "${String(type)}" on ${kind} layers; the converter supports the default rotary embedding only.`);
  }
  if (e['rope_theta'] === undefined || e['rope_theta'] === null) return undefined;
  const theta = e['rope_theta'];
  if (typeof theta !== 'number' || !(theta > 0) || !Number.isFinite(theta)) {
    throw new EngineError('bad-config', `config.json: rope_parameters.${kind}.rope_theta must be a number greater than 0 (it is ${JSON.stringify(theta)}).`);
  }
  return theta;
}

/** layer_types, when present, names each layer's attention, as transformers' layer_type_validation requires. */
function checkLayerTypes(raw: Record<string, unknown>, layers: number): void {
  const types = raw['layer_types'];
  if (types === undefined || types === null) return;
  if (!Array.isArray(types) || types.length !== layers || !types.every((t) => t === 'full_attention' || t === 'sliding_attention')) {
    throw new EngineError(
      'bad-config',
      `config.json: "layer_types" must list "full_attention" or "sliding_attention" for each of the ${layers} layers.`,
    );
  }
}
