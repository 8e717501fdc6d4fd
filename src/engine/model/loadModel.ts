/**
 * Turns a model folder into a LoadedModel: inspect the folder, convert
 * safetensors to ONNX when needed (cached), load the tokenizer, open a session.
 */
import * as path from 'node:path';
import { defaultEngineSettings, type EngineSettings, type ExecutionProviderName, type ModelInfo } from '../coreProtocol';
import type { LoadedModel } from '../host';
import { inspectModelFolder } from './folder';
import { ensureOnnx, isConvertedFile } from './convert/convert';
import { probeSession } from './probe';
import { loadTokenizerFromFolder } from '../text/loadTokenizer';
import { effectiveWindowTokens, makeWindows } from '../text/windows';
import { createSession, type CreateSessionOptions } from './session';
import { choosePrecision, type PrecisionChoice } from './precisionChoice';
import { runWindows, type HeadSession } from './runner';
import { inspectHeads, type HeadFolder } from './headFolder';
import { ensureHeadOnnx } from './convert/headGraph';
import { EngineError } from '../errors';
import type { Progress } from '../progress';

export interface LoadOptions {
  onProgress?(p: Progress): void;
  signal?: AbortSignal;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** for tests: replaces InferenceSession.create for the encoder (a GPU that fails on its first run) */
  createSession?: CreateSessionOptions['create'];
}

export async function loadModel(dir: string, settings: EngineSettings, opts: LoadOptions = {}): Promise<LoadedModel> {
  const folder = await inspectModelFolder(dir, { acceptVocabTxt: true });
  const config = folder.config;
  opts.onProgress?.({ message: 'Reading the model folder' });
  const convertOptions = {
    cacheDir: settings.cacheDir,
    signal: opts.signal,
    onProgress: (fraction: number, message: string) => opts.onProgress?.({ message, fraction }),
  };
  const precisionSetting = settings.precision ?? 'auto';
  const chosen = new Map<string, PrecisionChoice>();
  let lastPath = '';
  let force = false;
  // the variant is converted for the provider that loads: a GPU without CUDA libraries costs no float16 conversion
  const fileFor = (provider: ExecutionProviderName): string => {
    let choice = choosePrecision(precisionSetting, provider);
    let ensured;
    try {
      ensured = ensureOnnx(folder, { ...convertOptions, precision: choice.precision, force, keepShipped: precisionSetting === 'auto' });
    } catch (e) {
      // a weight past float16's range: auto takes float32 instead of refusing the model
      if (!(precisionSetting === 'auto' && choice.precision === 'fp16' && e instanceof EngineError && e.code === 'unsupported-model')) throw e;
      choice = { precision: 'fp32', reason: `auto: fp32 on ${provider}, as a weight is beyond float16's range` };
      ensured = ensureOnnx(folder, { ...convertOptions, precision: 'fp32', force });
    }
    if (ensured.fallback) choice = { precision: ensured.precision, reason: `${choice.reason}; fp32 instead: ${ensured.fallback}` };
    chosen.set(ensured.onnxPath, choice);
    lastPath = ensured.onnxPath;
    return ensured.onnxPath;
  };
  const tokenizer = await loadTokenizerFromFolder(dir);
  opts.onProgress?.({ message: 'Starting the inference session' });
  const limitsFor = (s: { inputNames: readonly string[] }) => ({ vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings, inputNames: s.inputNames as string[] });
  const sessionOptions = {
    provider: settings.executionProvider,
    threads: settings.threads,
    log: opts.log,
    create: opts.createSession,
    // the probe through a GPU session once, so a GPU that fails on its first kernels (or gives NaN) falls back now, not in a feature;
    // the CPU after it then loads the CPU's own variant (fileFor('cpu')), not the GPU's float16 file
    firstRun: (s: Awaited<ReturnType<typeof createSession>>['session']) => probeSession(s, lastPath, config, tokenizer, limitsFor(s)),
  };
  let opened: Awaited<ReturnType<typeof createSession>>;
  try {
    opened = await createSession(fileFor, sessionOptions);
  } catch (e) {
    // a converted file damaged on disk (a bad sector, a copy cut short) is ours to rebuild from the checkpoint
    if (!(e instanceof EngineError && e.code === 'corrupt-weights' && folder.safetensorsPath && lastPath && isConvertedFile(lastPath))) throw e;
    opts.log?.('warn', `The converted model ${lastPath} is damaged; converting the checkpoint again.`);
    force = true;
    opened = await createSession(fileFor, sessionOptions);
  }
  const { session, provider, failures, onnxPath } = opened;
  const precision = chosen.get(onnxPath) ?? { precision: 'fp32', reason: 'fp32' };
  opts.log?.('info', `Running the ${precision.precision} model (${precision.reason}).`);
  const batchTokens = settings.batchTokens ?? defaultEngineSettings.batchTokens!;
  // the CPU is the chain's last provider and gets no first-run check: its probe failing is the model's fault
  if (provider === 'cpu') {
    try {
      await probeSession(session, onnxPath, config, tokenizer, limitsFor(session));
    } catch (e) {
      await session.release();
      throw e;
    }
  }
  const { heads, problems } = inspectHeads(folder);
  for (const p of problems) opts.log?.('warn', `${p.message} The head is skipped.`);
  for (const h of heads) if (h.warning) opts.log?.('warn', h.warning);
  const headSessions = new Map<string, Promise<HeadSession>>();
  // a head's graph is converted and its session opened on first use: most loads never need every head
  const headSession = (name: string): Promise<HeadSession> => {
    const head = heads.find((h) => h.name === name);
    if (!head) {
      const known = heads.map((h) => h.name).join(', ') || 'none';
      return Promise.reject(new EngineError('bad-input', `The model folder has no usable task head "${name}" (heads: ${known}).`));
    }
    let s = headSessions.get(name);
    if (!s) {
      s = openHeadSession(head, settings, provider, opts.log);
      headSessions.set(name, s);
      s.catch(() => headSessions.delete(name));
    }
    return s;
  };
  const windowOptions = effectiveWindowTokens({ windowTokens: settings.windowTokens, stride: settings.windowStride }, config.maxPositionEmbeddings);
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
    precision: precision.precision,
    precisionReason: precision.reason,
    threads: opened.threads,
    batchTokens,
    outputs: [...session.outputNames],
    labels: config.id2label,
    taskHeads: heads.map((h) => ({ name: h.name, task: h.task, labels: h.labels, ...(h.warning ? { warning: h.warning } : {}), ...(h.demo ? { demo: true } : {}) })),
    windowTokens: windowOptions.windowTokens,
    demo: folder.demo,
    onnxPath,
  };
  return {
    info,
    config,
    tokenizer,
    windows: (text) => makeWindows(tokenizer.encode(text, { addSpecialTokens: false }), windowOptions, tokenizer),
    heads: info.taskHeads,
    run: async (windows, outputs, signal, runOpts) => {
      const head = runOpts?.head !== undefined ? await headSession(runOpts.head) : undefined;
      return runWindows(session, windows, outputs, { batchSize: settings.batchSize, batchTokens, padId: tokenizer.padId, limits: limitsFor(session), signal, head });
    },
    dispose: async () => {
      const opened = await Promise.allSettled(headSessions.values());
      for (const r of opened) if (r.status === 'fulfilled') await r.value.session.release();
      await session.release();
    },
  };
}

async function openHeadSession(head: HeadFolder, settings: EngineSettings, provider: ExecutionProviderName, log: LoadOptions['log']): Promise<HeadSession> {
  const open = async (force: boolean) => {
    const { onnxPath } = ensureHeadOnnx(head, { cacheDir: settings.cacheDir, force });
    // the encoder's provider: the head reads its output without a copy between devices
    return (await createSession(onnxPath, { provider, threads: settings.threads, log })).session;
  };
  let session = await open(false);
  // a head on the last k layers names encoder outputs by layer number: a cached graph made beside an encoder of another depth is rebuilt
  const expected = [...head.inputs, 'attention_mask'];
  if (session.inputNames.length !== expected.length || !expected.every((n) => session.inputNames.includes(n))) {
    await session.release();
    session = await open(true);
  }
  return { name: head.name, session, hidden: head.spec.hidden, inputs: head.inputs };
}
