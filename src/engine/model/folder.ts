/**
 * A model folder in the Hugging Face layout, as transformers, optimum and
 * transformers.js write it: config.json, tokenizer.json, tokenizer_config.json,
 * and onnx/model.onnx or model.safetensors (possibly sharded).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { notFolderReason, readRegularTextFile, requireRegularFile, somethingAt } from '../regularFile';
import { parseConfig, type ModelConfig } from './config';

export interface ModelFolder {
  dir: string;
  config: ModelConfig;
  configPath: string;
  tokenizerPath: string;
  tokenizerConfigPath?: string;
  /** an ONNX file shipped with the checkpoint (onnx/model.onnx, or model.onnx at the root) */
  onnxPath?: string;
  /** model.safetensors, or model.safetensors.index.json for a sharded checkpoint */
  safetensorsPath?: string;
  /** the files holding the tensors: [model.safetensors] or the shards */
  safetensorsFiles: string[];
  /** config.json carries "cmb_test_model": true: random weights, features that need a trained model switch off */
  demo: boolean;
}

export interface InspectOptions {
  /**
   * Hook for the tokenizer module: when it can build a WordPiece tokenizer
   * from vocab.txt, pass true and tokenizerPath may be a vocab.txt.
   */
  acceptVocabTxt?: boolean;
}

export const pickleExtensions = ['.bin', '.pt', '.pth', '.ckpt', '.pkl'];

/** Why pickle-only weights are refused, and the way out; shared with the Hub download, which refuses such repositories. */
export function pickleOnlyMessage(holder: string, pickles: readonly string[]): string {
  return (
    `${holder} has only ${pickles.join(', ')}: PyTorch pickle files, which are refused because loading them can run arbitrary code. ` +
    'If you trust its source, convert it once in Python with transformers: load it with the class it was saved from (e.g. AutoModelForMaskedLM.from_pretrained(folder)) ' +
    'and call save_pretrained(folder, safe_serialization=True) to write model.safetensors.'
  );
}

function readJson(path: string, what: string): unknown {
  const text = readRegularTextFile(path, `${what} in the model folder`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError(what === 'tokenizer.json' ? 'bad-tokenizer' : 'bad-config', `${what} in the model folder is not valid JSON (${(e as Error).message}).`);
  }
}

function shardFiles(dir: string, indexPath: string): string[] {
  const index = readJson(indexPath, 'model.safetensors.index.json') as { weight_map?: Record<string, string> };
  if (!index || typeof index.weight_map !== 'object' || index.weight_map === null) {
    throw new EngineError('corrupt-weights', 'model.safetensors.index.json has no "weight_map"; download the checkpoint again.');
  }
  const files = [...new Set(Object.values(index.weight_map))].sort();
  for (const f of files) {
    if (typeof f !== 'string' || f.includes('/') || f.includes('\\') || !somethingAt(join(dir, f))) {
      throw new EngineError('missing-file', `The sharded checkpoint lists ${String(f)}, which is not in the model folder; the download is incomplete.`);
    }
    requireRegularFile(join(dir, f), `${f} in the model folder`);
  }
  return files.map((f) => join(dir, f));
}

/** the highest token id in tokenizer.json (model vocabulary and added tokens) plus one */
export function tokenizerIdCount(tokenizerJson: unknown): number {
  const t = tokenizerJson as { model?: { vocab?: unknown }; added_tokens?: Array<{ id?: unknown }> };
  let maxId = -1;
  const vocab = t?.model?.vocab;
  if (Array.isArray(vocab)) maxId = vocab.length - 1; // Unigram: [[piece, score], ...]
  else if (vocab && typeof vocab === 'object') {
    for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > maxId) maxId = id;
  }
  for (const a of t?.added_tokens ?? []) if (typeof a?.id === 'number' && a.id > maxId) maxId = a.id;
  return maxId + 1;
}

export function inspectModelFolder(dir: string, opts: InspectOptions = {}): ModelFolder {
  const folderProblem = notFolderReason(dir);
  if (folderProblem) {
    throw new EngineError('missing-file', `The model folder ${dir} ${folderProblem}. Choose a folder with config.json, tokenizer.json and model.safetensors.`);
  }
  const files = new Set(readdirSync(dir));
  const configPath = join(dir, 'config.json');
  if (!files.has('config.json')) {
    throw new EngineError('missing-file', `The model folder has no config.json. It should hold a Hugging Face checkpoint: config.json, tokenizer.json and model.safetensors.`);
  }
  const config = parseConfig(readRegularTextFile(configPath, 'config.json in the model folder'));

  // a dangling link counts as present, so it is reported instead of silently skipped
  const onnxPath = somethingAt(join(dir, 'onnx', 'model.onnx')) ? join(dir, 'onnx', 'model.onnx') : files.has('model.onnx') ? join(dir, 'model.onnx') : undefined;
  if (onnxPath) requireRegularFile(onnxPath, `${onnxPath === join(dir, 'model.onnx') ? 'model.onnx' : 'onnx/model.onnx'} in the model folder`);
  let safetensorsPath: string | undefined;
  let safetensorsFiles: string[] = [];
  if (files.has('model.safetensors')) {
    safetensorsPath = join(dir, 'model.safetensors');
    requireRegularFile(safetensorsPath, 'model.safetensors in the model folder');
    safetensorsFiles = [safetensorsPath];
  } else if (files.has('model.safetensors.index.json')) {
    safetensorsPath = join(dir, 'model.safetensors.index.json');
    safetensorsFiles = shardFiles(dir, safetensorsPath);
  }
  if (!onnxPath && !safetensorsPath) {
    const pickles = [...files].filter((f) => pickleExtensions.some((e) => f.endsWith(e)));
    if (pickles.length) {
      throw new EngineError('pickle-refused', pickleOnlyMessage('The model folder', pickles));
    }
    throw new EngineError('missing-file', 'The model folder has neither model.safetensors nor onnx/model.onnx; it holds no weights the engine can load.');
  }

  let tokenizerPath = join(dir, 'tokenizer.json');
  if (!files.has('tokenizer.json')) {
    if (files.has('vocab.txt') && opts.acceptVocabTxt) tokenizerPath = join(dir, 'vocab.txt');
    else if (files.has('vocab.txt')) {
      throw new EngineError(
        'missing-file',
        'The model folder has vocab.txt but no tokenizer.json; vocab.txt-only tokenizers are not supported yet. ' +
          'Create tokenizer.json in Python: AutoTokenizer.from_pretrained(folder).save_pretrained(folder).',
      );
    } else {
      throw new EngineError('missing-file', 'The model folder has no tokenizer.json. Copy it from the checkpoint you downloaded (it sits beside config.json).');
    }
  } else {
    const ids = tokenizerIdCount(readJson(tokenizerPath, 'tokenizer.json'));
    // fewer ids than vocab_size is normal (ModernBERT pads its vocabulary to 50,368); more would index past the embeddings
    if (ids > config.vocabSize) {
      throw new EngineError(
        'vocab-mismatch',
        `tokenizer.json has ${ids} token ids but config.json says vocab_size ${config.vocabSize}: the tokenizer belongs to a different model. Use the tokenizer.json that came with this checkpoint.`,
      );
    }
  }

  return {
    dir,
    config,
    configPath,
    tokenizerPath,
    tokenizerConfigPath: files.has('tokenizer_config.json') ? join(dir, 'tokenizer_config.json') : undefined,
    onnxPath,
    safetensorsPath,
    safetensorsFiles,
    demo: config.raw['cmb_test_model'] === true,
  };
}
