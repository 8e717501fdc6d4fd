/**
 * Turns a model folder into a LoadedModel: inspect the folder, convert
 * safetensors to ONNX when needed (cached), load the tokenizer, open a session.
 */
import * as path from 'node:path';
import type { EngineSettings, ModelInfo } from '../coreProtocol';
import type { LoadedModel } from '../host';
import { inspectModelFolder } from './folder';
import { ensureOnnx } from './convert/convert';
import { loadTokenizerFromFolder } from '../text/loadTokenizer';
import { effectiveWindowTokens, makeWindows } from '../text/windows';
import { createSession } from './session';
import { runWindows } from './runner';
import type { Progress } from '../protocol';

export interface LoadOptions {
  onProgress?(p: Progress): void;
  signal?: AbortSignal;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export async function loadModel(dir: string, settings: EngineSettings, opts: LoadOptions = {}): Promise<LoadedModel> {
  const folder = await inspectModelFolder(dir, { acceptVocabTxt: true });
  const config = folder.config;
  opts.onProgress?.({ message: 'Reading the model folder' });
  const { onnxPath } = await ensureOnnx(folder, {
    cacheDir: settings.cacheDir,
    signal: opts.signal,
    onProgress: (fraction, message) => opts.onProgress?.({ message, fraction }),
  });
  const tokenizer = await loadTokenizerFromFolder(dir);
  opts.onProgress?.({ message: 'Starting the inference session' });
  const { session, provider, failures } = await createSession(onnxPath, {
    provider: settings.executionProvider,
    threads: settings.threads,
    log: opts.log,
  });
  const windowOptions = effectiveWindowTokens({ windowTokens: settings.windowTokens, stride: settings.windowStride }, config.maxPositionEmbeddings);
  const limits = { vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings, inputNames: session.inputNames };
  const info: ModelInfo = {
    path: dir,
    name: typeof config.raw['_name_or_path'] === 'string' && config.raw['_name_or_path'] ? String(config.raw['_name_or_path']) : path.basename(path.resolve(dir)),
    architecture: config.modelType,
    architectures: config.architectures,
    layers: config.numHiddenLayers,
    hidden: config.hiddenSize,
    heads: config.numAttentionHeads,
    intermediate: config.intermediateSize,
    maxPositions: config.maxPositionEmbeddings,
    vocabSize: config.vocabSize,
    provider,
    providerFailures: failures,
    outputs: [...session.outputNames],
    labels: config.id2label,
    windowTokens: windowOptions.windowTokens,
    demo: folder.demo,
    onnxPath,
  };
  return {
    info,
    config,
    tokenizer,
    windows: (text) => makeWindows(tokenizer.encode(text, { addSpecialTokens: false }), windowOptions, tokenizer),
    run: (windows, outputs, signal) =>
      runWindows(session, windows, outputs, { batchSize: settings.batchSize, padId: tokenizer.padId, limits, signal }),
    dispose: () => session.release(),
  };
}
