/**
 * Task heads that live beside an encoder, in `<model>/heads/<name>/`:
 * config.json ("format": "cmb-head") and model.safetensors with transformers'
 * tensor names, so a head cut out of a ...ForTokenClassification or
 * ...ForSequenceClassification checkpoint loads unchanged. The fine-tune
 * command writes its heads here. The format is specified in models/README.md.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EngineError } from '../errors';
import { notRegularFileReason, readRegularTextFile, somethingAt } from '../regularFile';
import type { ModelConfig } from './config';
import type { ModelFolder } from './folder';
import { checkHeadSpec, headArchitectures, headInputWidth, type ClassifierHeadSpec, type ClassifierTask, type HeadArchitecture, type HeadPooling } from './convert/classifierHead';
import { CheckpointWeights } from './convert/checkpointWeights';
import { writeSafetensors, type TensorToWrite } from './safetensors';
import { lastLayerOutputs } from './hiddenStates';

export const HEAD_FORMAT = 'cmb-head';
export const HEAD_FORMAT_VERSION = 1;
export const HEADS_DIR = 'heads';

/** config.json's task names (transformers pipeline names) and the engine's */
const taskNames: Record<string, ClassifierTask> = { 'token-classification': 'token', 'sequence-classification': 'sequence' };
export const headTaskName: Record<ClassifierTask, string> = { token: 'token-classification', sequence: 'sequence-classification' };

/** What the encoder a head was trained on looked like, to warn when it is loaded on another. */
export interface HeadEncoderRecord {
  model_type: string;
  hidden_size: number;
  /** encoderFingerprint() of the encoder folder; absent: not checked */
  fingerprint?: string;
}

/** config.json of a head folder, as written */
export interface HeadConfigJson {
  format: typeof HEAD_FORMAT;
  version: number;
  task: string;
  architecture: HeadArchitecture;
  /** sequence tasks; bert-pooler: "cls" */
  pooling?: HeadPooling;
  /** modernbert-head: transformers' classifier_activation (default "gelu") and norm_eps (default 1e-5) */
  activation?: string;
  norm_eps?: number;
  hidden_size: number;
  /** linear and mlp: the encoder's last k layers, concatenated (default 1) */
  layers?: number;
  /** mlp: the dense layer's width */
  mlp_hidden_size?: number;
  id2label: Record<string, string>;
  encoder: HeadEncoderRecord;
  created_by?: string;
  metrics?: Record<string, unknown>;
  /** random weights (test heads): features that need a trained head treat it like a demo model */
  cmb_test_model?: boolean;
}

export interface HeadFolder {
  name: string;
  dir: string;
  configPath: string;
  weightsPath: string;
  task: ClassifierTask;
  labels: string[];
  spec: ClassifierHeadSpec;
  /** the encoder outputs the head reads, concatenated in this order (hiddenStates.ts) */
  inputs: string[];
  encoder: HeadEncoderRecord;
  createdBy?: string;
  metrics?: Record<string, unknown>;
  /** set when the head may not belong to this encoder (fingerprint differs); the head still loads */
  warning?: string;
  /** config.json carries "cmb_test_model": true (random weights) */
  demo: boolean;
}

function fail(code: 'bad-config' | 'unsupported-model' | 'missing-file' | 'corrupt-weights', name: string, message: string): never {
  throw new EngineError(code, `Task head "${name}": ${message}`);
}

function parseLabels(name: string, raw: unknown): string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('bad-config', name, 'config.json needs "id2label", an object mapping "0", "1", ... to label names.');
  const entries = Object.entries(raw as Record<string, unknown>);
  const labels: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string' || v === '') {
      fail('bad-config', name, `config.json: id2label must map 0..${entries.length - 1} to label names; found "${k}".`);
    }
    labels[i] = v;
  }
  if (labels.length === 0) fail('bad-config', name, 'config.json: id2label is empty.');
  return labels;
}

/**
 * Tensors each architecture needs (biases the config makes optional are
 * checked when present). A head cut from a BERT checkpoint may keep the
 * "bert." prefix on its pooler.
 */
function checkTensors(name: string, w: CheckpointWeights, spec: ClassifierHeadSpec, labels: number): void {
  const H = headInputWidth(spec);
  const expect = (tensor: string, shape: number[], optional = false) => {
    if (!w.has(tensor)) {
      if (optional) return;
      fail('corrupt-weights', name, `model.safetensors has no tensor "${tensor}", which a "${spec.architecture}" ${spec.task} head needs (it has ${w.names().join(', ') || 'none'}).`);
    }
    try {
      w.get(tensor, shape);
    } catch (e) {
      fail('corrupt-weights', name, e instanceof EngineError ? e.message.replace('config.json implies', `id2label (${labels} labels)${spec.architecture === 'mlp' ? `, mlp_hidden_size ${spec.mlpHidden}` : ''} and hidden_size ${spec.hidden}${(spec.layers ?? 1) > 1 ? ` x ${spec.layers} layers` : ''} imply`) : String(e));
    }
  };
  expect('classifier.weight', [labels, spec.architecture === 'mlp' ? spec.mlpHidden! : H]);
  expect('classifier.bias', [labels]);
  if (spec.architecture === 'mlp') {
    expect('dense.weight', [spec.mlpHidden!, H]);
    expect('dense.bias', [spec.mlpHidden!]);
  } else if (spec.architecture === 'bert-pooler') {
    const base = spec.poolerDense!;
    expect(`${base}.weight`, [H, H]);
    expect(`${base}.bias`, [H]);
  } else if (spec.architecture === 'modernbert-head') {
    expect('head.dense.weight', [H, H]);
    expect('head.dense.bias', [H], true);
    expect('head.norm.weight', [H]);
    expect('head.norm.bias', [H], true);
  }
}

/**
 * Reads and checks one head folder against the encoder it is to run on. Errors:
 * missing-file, bad-config, unsupported-model (unknown format, version, task,
 * architecture, or a hidden size the encoder does not have), corrupt-weights.
 */
export function inspectHeadFolder(dir: string, encoder: { config: ModelConfig; fingerprint?: string }): HeadFolder {
  const name = basename(dir);
  const configPath = join(dir, 'config.json');
  const weightsPath = join(dir, 'model.safetensors');
  if (!somethingAt(configPath)) fail('missing-file', name, `the folder ${dir} has no config.json.`);
  const configProblem = notRegularFileReason(configPath);
  if (configProblem) fail('missing-file', name, `its config.json ${configProblem}.`);
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(readRegularTextFile(configPath, 'config.json'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    raw = parsed as Record<string, unknown>;
  } catch (e) {
    fail('bad-config', name, `config.json is not valid JSON (${(e as Error).message}).`);
  }
  if (raw['format'] !== HEAD_FORMAT) {
    fail('unsupported-model', name, `config.json says format ${JSON.stringify(raw['format'] ?? null)}; a head folder's config.json has "format": "${HEAD_FORMAT}".`);
  }
  if (raw['version'] !== HEAD_FORMAT_VERSION) {
    fail('unsupported-model', name, `it is written in ${HEAD_FORMAT} version ${JSON.stringify(raw['version'] ?? null)}; this extension reads version ${HEAD_FORMAT_VERSION}. Update the extension, or write the head again.`);
  }
  const task = taskNames[String(raw['task'])];
  if (!task) fail('unsupported-model', name, `task ${JSON.stringify(raw['task'] ?? null)} is not one of ${Object.keys(taskNames).join(', ')}.`);
  const architecture = raw['architecture'] as HeadArchitecture;
  if (!headArchitectures.includes(architecture)) fail('unsupported-model', name, `architecture ${JSON.stringify(raw['architecture'] ?? null)} is not one of ${headArchitectures.join(', ')}.`);
  const pooling = raw['pooling'] ?? 'cls';
  if (pooling !== 'cls' && pooling !== 'mean') fail('unsupported-model', name, `pooling "${String(pooling)}" is not "cls" or "mean".`);
  const hidden = raw['hidden_size'];
  if (typeof hidden !== 'number' || !Number.isInteger(hidden) || hidden <= 0) fail('bad-config', name, 'config.json needs "hidden_size", the encoder\'s hidden size.');
  if (hidden !== encoder.config.hiddenSize) {
    fail('unsupported-model', name, `it reads hidden states of size ${hidden}, but this encoder's are ${encoder.config.hiddenSize}: the head belongs to a different encoder. Train it again on this one.`);
  }
  const labels = parseLabels(name, raw['id2label']);
  const layers = raw['layers'] ?? 1;
  if (typeof layers !== 'number' || !Number.isInteger(layers) || layers < 1) fail('bad-config', name, `config.json: "layers" must be a whole number, 1 or more; found ${JSON.stringify(layers)}.`);
  if (layers > encoder.config.numHiddenLayers) {
    fail('unsupported-model', name, `it reads the last ${layers} layers, but this encoder has ${encoder.config.numHiddenLayers}: the head belongs to a different encoder. Train it again on this one.`);
  }
  const mlpHidden = raw['mlp_hidden_size'];
  if (architecture === 'mlp' && (typeof mlpHidden !== 'number' || !Number.isInteger(mlpHidden) || mlpHidden <= 0)) {
    fail('bad-config', name, 'config.json: an "mlp" head needs "mlp_hidden_size", the width of its dense layer.');
  }
  const activation = typeof raw['activation'] === 'string' ? raw['activation'] : 'gelu';
  const eps = typeof raw['norm_eps'] === 'number' ? raw['norm_eps'] : 1e-5;
  if (!somethingAt(weightsPath)) fail('missing-file', name, `the folder has no model.safetensors (the head's weights).`);
  let weights: CheckpointWeights;
  try {
    weights = CheckpointWeights.open([weightsPath]);
  } catch (e) {
    fail('corrupt-weights', name, e instanceof Error ? e.message : String(e));
  }
  const spec: ClassifierHeadSpec = {
    task, architecture, pooling, hidden, activation, eps, layers,
    ...(architecture === 'mlp' ? { mlpHidden: mlpHidden as number } : {}),
    poolerDense: weights.has('bert.pooler.dense.weight') && !weights.has('pooler.dense.weight') ? 'bert.pooler.dense' : 'pooler.dense',
    denseBias: weights.has('head.dense.bias'),
    normBias: weights.has('head.norm.bias'),
  };
  try {
    checkHeadSpec(spec);
  } catch (e) {
    fail('unsupported-model', name, (e as Error).message);
  }
  checkTensors(name, weights, spec, labels.length);

  const enc = (raw['encoder'] && typeof raw['encoder'] === 'object' ? raw['encoder'] : {}) as Record<string, unknown>;
  const record: HeadEncoderRecord = {
    model_type: typeof enc['model_type'] === 'string' ? enc['model_type'] : '',
    hidden_size: typeof enc['hidden_size'] === 'number' ? enc['hidden_size'] : hidden,
    fingerprint: typeof enc['fingerprint'] === 'string' ? enc['fingerprint'] : undefined,
  };
  let warning: string | undefined;
  if (record.model_type && record.model_type !== encoder.config.modelType) {
    warning = `it was trained on a ${record.model_type} encoder, and this one is ${encoder.config.modelType}; its predictions may be meaningless.`;
  } else if (record.fingerprint && encoder.fingerprint && record.fingerprint !== encoder.fingerprint) {
    warning = 'it was trained on a different encoder (the fingerprint in its config.json does not match this model folder); its predictions may be poor. Train it again on this encoder if they are.';
  }
  return {
    name, dir, configPath, weightsPath, task, labels, spec, encoder: record,
    inputs: lastLayerOutputs(encoder.config.numHiddenLayers, layers),
    createdBy: typeof raw['created_by'] === 'string' ? raw['created_by'] : undefined,
    metrics: raw['metrics'] && typeof raw['metrics'] === 'object' ? (raw['metrics'] as Record<string, unknown>) : undefined,
    warning: warning && `Task head "${name}": ${warning}`,
    demo: raw['cmb_test_model'] === true,
  };
}

const SAMPLES_PER_FILE = 16;
const SAMPLE_BYTES = 4096;

/**
 * Identifies an encoder cheaply, without hashing hundreds of megabytes:
 * sha256 over the architecture fields of config.json, and for each weight file
 * its size and 16 samples of 4 KiB spread over it. Two fine-tunes of one base
 * have equal sizes but different bytes everywhere, so samples tell them apart;
 * cosmetic config.json edits (names, id2label) do not change it.
 */
export function encoderFingerprint(folder: ModelFolder): string {
  const c = folder.config;
  const h = createHash('sha256');
  h.update(JSON.stringify([c.modelType, c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize, c.maxPositionEmbeddings]));
  const files = folder.safetensorsFiles.length > 0 ? folder.safetensorsFiles : folder.onnxPath ? [folder.onnxPath] : [];
  const buf = Buffer.alloc(SAMPLE_BYTES);
  for (const f of files) {
    const size = statSync(f).size;
    h.update(`\0${size}\0`);
    const fd = openSync(f, 'r');
    try {
      for (let i = 0; i < SAMPLES_PER_FILE; i++) {
        const at = Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLES_PER_FILE - 1));
        const n = readSync(fd, buf, 0, SAMPLE_BYTES, Math.max(0, at));
        h.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  return `sha256:${h.digest('hex')}`;
}

export interface HeadProblem {
  name: string;
  code: string;
  message: string;
}

/**
 * Every folder under `<model>/heads/` that holds a config.json: the usable
 * heads, and the others with why, so one broken head never stops the encoder
 * or the other heads from loading.
 */
export function inspectHeads(folder: ModelFolder): { heads: HeadFolder[]; problems: HeadProblem[] } {
  const root = join(folder.dir, HEADS_DIR);
  const heads: HeadFolder[] = [];
  const problems: HeadProblem[] = [];
  if (!existsSync(root) || !statSync(root).isDirectory()) return { heads, problems };
  let fingerprint: string | undefined;
  const encoder = {
    config: folder.config,
    get fingerprint() {
      return (fingerprint ??= encoderFingerprint(folder));
    },
  };
  for (const entry of readdirSync(root, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // a dot folder is a head being written or replaced (train/trainer.ts), not a head
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    try {
      heads.push(inspectHeadFolder(join(root, entry.name), encoder));
    } catch (e) {
      problems.push({ name: entry.name, code: e instanceof EngineError ? e.code : 'internal', message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { heads, problems };
}

export interface WriteHeadOptions {
  /** the encoder folder the head belongs to; the head goes to <encoder>/heads/<name> */
  encoder: ModelFolder;
  name: string;
  task: ClassifierTask;
  architecture: HeadArchitecture;
  labels: readonly string[];
  pooling?: HeadPooling;
  /** modernbert-head */
  activation?: string;
  normEps?: number;
  /** linear and mlp: the encoder's last k layers, concatenated (default 1) */
  layers?: number;
  /** mlp: the dense layer's width */
  mlpHiddenSize?: number;
  /** write here instead of <encoder>/heads/<name> (a temporary folder renamed into place by the caller) */
  dir?: string;
  /** tensors with transformers' names (classifier.weight, pooler.dense.weight, head.dense.weight, ...) */
  tensors: TensorToWrite[];
  createdBy: string;
  metrics?: Record<string, unknown>;
  /** random weights: written as "cmb_test_model": true */
  demo?: boolean;
}

/** A valid head folder name: it becomes a directory name and a setting value. */
export function checkHeadName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new EngineError('bad-input', `"${name}" is not a usable head name: use letters, digits, ".", "_" and "-" (up to 64, starting with a letter or digit).`);
  }
}

/** Writes a head folder (config.json with the encoder's fingerprint, model.safetensors); returns its directory. */
export function writeHeadFolder(o: WriteHeadOptions): string {
  checkHeadName(o.name);
  const dir = o.dir ?? join(o.encoder.dir, HEADS_DIR, o.name);
  mkdirSync(dir, { recursive: true });
  const config: HeadConfigJson = {
    format: HEAD_FORMAT,
    version: HEAD_FORMAT_VERSION,
    task: headTaskName[o.task],
    architecture: o.architecture,
    ...(o.task === 'sequence' ? { pooling: o.pooling ?? 'cls' } : {}),
    ...(o.architecture === 'modernbert-head' ? { activation: o.activation ?? 'gelu', norm_eps: o.normEps ?? 1e-5 } : {}),
    hidden_size: o.encoder.config.hiddenSize,
    ...(o.layers !== undefined && o.layers !== 1 ? { layers: o.layers } : {}),
    ...(o.architecture === 'mlp' ? { mlp_hidden_size: o.mlpHiddenSize } : {}),
    id2label: Object.fromEntries(o.labels.map((l, i) => [String(i), l])),
    encoder: { model_type: o.encoder.config.modelType, hidden_size: o.encoder.config.hiddenSize, fingerprint: encoderFingerprint(o.encoder) },
    created_by: o.createdBy,
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.demo ? { cmb_test_model: true } : {}),
  };
  writeSafetensors(join(dir, 'model.safetensors'), o.tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return dir;
}
