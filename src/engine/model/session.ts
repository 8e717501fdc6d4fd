/**
 * onnxruntime-node sessions: an execution-provider chain with honest fallback,
 * and input validation before run(), because an onnxruntime abort inside the
 * extension host would take every extension down with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// must come before onnxruntime-node: it switches the library's telemetry off
import './telemetryOff';
// must come before onnxruntime-node: it picks the CUDA-ready runtime when one is set up
import './gpu/useProvisionedRuntime';
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors';
import { requireRegularFile } from '../regularFile';
import { clampThreads, defaultThreads } from './threads';
import type { ExecutionProviderName, ProviderSetting } from '../coreProtocol';
import { GraphBuilder } from './convert/graphBuilder';
import { encodeModel, OnnxDataType } from './convert/onnxModel';
import { providerLibraryDir } from './gpu/ortRuntime';
import { defaultRoots, findIn, loaderSearchDirs } from './gpu/libraryPaths';

export interface SessionChoice {
  session: ort.InferenceSession;
  provider: ExecutionProviderName;
  failures: Array<{ provider: ExecutionProviderName; reason: string }>;
  /** the file the session runs */
  onnxPath: string;
  /** intra-op threads asked for; 0: onnxruntime's own choice */
  threads: number;
}

/** The providers to try, in order, for a setting. `auto` ends with the CPU, which always loads. */
export function providerChain(setting: ProviderSetting): ExecutionProviderName[] {
  return setting === 'auto' ? ['cuda', 'webgpu', 'cpu'] : [setting];
}

/** A short reason from an onnxruntime error: its first line, without paths to shared libraries. */
function shortReason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return shortOrtReason(text.split('\n')[0]);
}

/** onnxruntime's message without the source paths and C++ signatures it carries */
export function shortOrtReason(reason: string): string {
  return reason
    .replace(/\/onnxruntime_src\/\S+:\d+\s+(\S+::)*\S+\([^)]*\)\s*/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/**
 * On Linux, onnxruntime's WebGPU provider (Dawn) needs the Vulkan loader; without
 * it the provider fails after printing native warnings to stderr. Checking for
 * the library first gives the same answer quietly.
 */
export function webgpuUnavailableReason(platform = process.platform, env = process.env): string | undefined {
  if (platform !== 'linux') return undefined;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1'))) ? undefined : 'no Vulkan loader (libvulkan.so.1) is installed, which WebGPU needs on Linux';
}

/**
 * On Linux, onnxruntime looks for the CUDA provider beside the libonnxruntime
 * it runs from; the npm package does not ship it (its installer fetches it,
 * and a VSIX never runs installers). Without it, say how to set it up rather
 * than pass on a loader error.
 */
export function cudaUnavailableReason(platform = process.platform, dir?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (platform !== 'linux') return undefined;
  if (!findIn('libcuda.so.1', loaderSearchDirs(defaultRoots(env)))) return 'no NVIDIA driver (libcuda.so.1) is installed';
  const where = dir ?? providerLibraryDir();
  const missing = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].filter((f) => !fs.existsSync(path.join(where, f)));
  return missing.length ? 'the CUDA provider libraries are not set up (run "Clinical: Set Up GPU Acceleration", or cmb gpu --install)' : undefined;
}

export interface CreateSessionOptions {
  provider: ProviderSetting;
  /** 0: one thread per physical core (defaultThreads) */
  threads: number;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** false: idle threads sleep instead of spinning (benchmarks count CPU time with it) */
  spinning?: boolean;
  /** for tests: replaces InferenceSession.create */
  create?: (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;
  /**
   * A first small run on a GPU session: a GPU can create a session and still
   * fail when kernels first launch (driver, memory, an unsupported card). A
   * failure here moves on to the next provider, like a failed creation.
   */
  firstRun?: (session: ort.InferenceSession) => Promise<void>;
}

/**
 * Whether onnxruntime's uint8 x int8 CPU kernels can saturate here: x64 CPUs
 * without VNNI add pairs of products in 16 bits. Then every session sets
 * `session.x64quantprecision`, which switches int8 weights to uint8 (exact,
 * slower). onnxruntime's own test for it is true on every AVX2 CPU, VNNI or
 * not, and costs VNNI CPUs 1.7x the CPU time (measured), so the flags decide
 * here. Unknown (no /proc/cpuinfo on an x64 machine): exact, to be safe.
 */
export function int8KernelsSaturate(arch = process.arch, cpuinfo?: string): boolean {
  if (arch !== 'x64' && arch !== 'ia32') return false;
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return true;
    }
  }
  const flags = /^flags\s*:(.*)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
  return !(flags.includes('avx512_vnni') || flags.includes('avx_vnni'));
}

let saturates: boolean | undefined;

/** The model file for a provider: a path, or made on demand for the provider (the variant it runs best). */
export type ModelFileFor = string | ((provider: ExecutionProviderName) => string | Promise<string>);

/** A one-node model: whether a GPU provider loads at all, before a model variant is converted for it. */
function tinyModelBytes(): Uint8Array {
  const g = new GraphBuilder();
  g.output(g.input('x', OnnxDataType.Float, [1]), 'y', OnnxDataType.Float, [1]);
  const m = encodeModel(g.build('provider_check'), { producerName: 'clinical-modernbert', producerVersion: '1', docString: '', metadata: {} });
  return Buffer.concat(m.parts.map((p) => (p instanceof Uint8Array ? p : p.make())));
}

/**
 * Creates a session with the first provider of the chain that loads. In Node,
 * InferenceSession.create throws when a provider cannot load (no silent
 * fallback), so each is tried on its own and the failures are reported.
 */
export async function createSession(fileFor: ModelFileFor, opts: CreateSessionOptions): Promise<SessionChoice> {
  // onnxruntime's own logger would print provider failures to stderr; they are
  // caught, reported and logged here instead
  if (!opts.create) ort.env.logLevel = 'fatal';
  // one call per overload: onnxruntime's typings take a path or bytes, not either
  const create = opts.create ?? ((p, o) => (typeof p === 'string' ? ort.InferenceSession.create(p, o) : ort.InferenceSession.create(p, o)));
  const failures: SessionChoice['failures'] = [];
  // the CLI and the settings clamp already; this guards every other caller
  const clamped = clampThreads(opts.threads, 'threads');
  if (clamped.notice) opts.log?.('warn', clamped.notice);
  const threads = clamped.threads > 0 ? clamped.threads : defaultThreads();
  const chain = providerChain(opts.provider);
  let onnxPath = typeof fileFor === 'string' ? fileFor : '';
  for (const provider of chain) {
    const missing = opts.create ? undefined : provider === 'webgpu' ? webgpuUnavailableReason() : provider === 'cuda' ? cudaUnavailableReason() : undefined;
    if (missing) {
      failures.push({ provider, reason: missing });
      opts.log?.('warn', `Execution provider ${provider} skipped: ${missing}.`);
      continue;
    }
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      enableCpuMemArena: true,
      logSeverityLevel: 3,
      extra: { session: { x64quantprecision: (saturates ??= int8KernelsSaturate()) ? '1' : '0', ...(opts.spinning === false ? { intra_op: { allow_spinning: '0' } } : {}) } },
    };
    if (threads > 0) {
      options.intraOpNumThreads = threads;
      options.interOpNumThreads = 1;
    }
    let session: ort.InferenceSession;
    try {
      if (typeof fileFor !== 'string') {
        // a GPU provider that cannot load gets no variant converted for it
        if (chain.length > 1 && provider !== 'cpu') await (await create(tinyModelBytes(), { ...options, graphOptimizationLevel: 'disabled' })).release();
        onnxPath = await fileFor(provider);
      }
      // onnxruntime would block on a pipe and read a device without end
      if (!opts.create) requireRegularFile(onnxPath, `The ONNX file ${onnxPath}`);
      session = await create(onnxPath, options);
    } catch (e) {
      if (e instanceof EngineError && e.code !== 'provider-failed') throw e;
      const reason = shortReason(e);
      failures.push({ provider, reason });
      opts.log?.('warn', `Execution provider ${provider} did not load: ${reason}`);
      continue;
    }
    if (provider !== 'cpu' && opts.firstRun) {
      try {
        await opts.firstRun(session);
      } catch (e) {
        const reason = `it loaded but failed on its first run: ${shortReason(e)}`;
        failures.push({ provider, reason });
        opts.log?.('warn', `Execution provider ${provider} ${reason}`);
        await session.release().catch(() => undefined);
        continue;
      }
    }
    opts.log?.('info', `Inference session on ${provider}.`);
    return { session, provider, failures, onnxPath, threads };
  }
  // a file onnxruntime cannot parse fails on every provider: say so first, not as the last of three provider reasons
  const damaged = failures.map((f) => damagedOnnxReason(f.reason)).find((r) => r !== undefined);
  if (damaged) {
    throw new EngineError('corrupt-weights', `The ONNX file ${onnxPath} is damaged or is not an ONNX model (${damaged}). Download it again (or, where model.safetensors lies beside it, delete it to convert that instead).`);
  }
  const last = failures.at(-1);
  const others = failures.slice(0, -1).map((f) => `${f.provider}: ${f.reason}`).join('; ');
  throw new EngineError(
    'provider-failed',
    opts.provider === 'auto'
      ? `The model could not be loaded: ${last ? last.reason : 'no execution provider'}${others ? ` (also tried ${others})` : ''}.`
      : `The model could not be loaded on ${opts.provider} (${last ? last.reason : 'unknown reason'}). Set clinicalModernbert.executionProvider to "auto" or "cpu".`,
  );
}

/**
 * The first provider of the setting's chain that loads a one-node model: what
 * a model would run on, so `convert` can make the variant loading will want.
 */
export async function firstLoadingProvider(setting: ProviderSetting, create: CreateSessionOptions['create'] = (m, o) => ort.InferenceSession.create(m as Uint8Array, o)): Promise<ExecutionProviderName> {
  const chain = providerChain(setting);
  // a missing CUDA library is an answer here, not something for stderr
  ort.env.logLevel = 'fatal';
  for (const provider of chain.slice(0, -1)) {
    if (provider === 'webgpu' ? webgpuUnavailableReason() : provider === 'cuda' ? cudaUnavailableReason() : undefined) continue;
    try {
      await (await create(tinyModelBytes(), { executionProviders: [provider], logSeverityLevel: 3 })).release();
      return provider;
    } catch {
      // the next provider of the chain
    }
  }
  return chain.at(-1)!;
}

/** What onnxruntime says about a file it cannot read as a model, in words, or undefined for other failures. */
export function damagedOnnxReason(reason: string): string | undefined {
  if (/protobuf parsing failed|INVALID_PROTOBUF/i.test(reason)) return 'onnxruntime cannot parse it';
  if (/does not have a graph|no graph was found/i.test(reason)) return 'it holds no model graph';
  return undefined;
}

export interface BatchInputs {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  seqLen: number;
}

export interface InputLimits {
  vocabSize: number;
  maxPositions: number;
  /** names of the graph's inputs, e.g. input_ids, attention_mask, token_type_ids */
  inputNames: readonly string[];
}

/**
 * Checks dtypes, shapes and ranges before a batch reaches onnxruntime: a token id
 * past the embedding table or a sequence past the position table aborts natively.
 */
export function validateBatch(b: BatchInputs, limits: InputLimits): void {
  const fail = (m: string): never => {
    throw new EngineError('bad-input', `Invalid model input: ${m}`);
  };
  if (!(b.inputIds instanceof BigInt64Array) || !(b.attentionMask instanceof BigInt64Array)) fail('input_ids and attention_mask must be int64.');
  if (!Number.isInteger(b.batch) || b.batch < 1 || !Number.isInteger(b.seqLen) || b.seqLen < 1) fail(`batch ${b.batch} x sequence ${b.seqLen} is empty.`);
  const n = b.batch * b.seqLen;
  if (b.inputIds.length !== n || b.attentionMask.length !== n) fail(`expected ${n} values for ${b.batch} x ${b.seqLen}, got ${b.inputIds.length} ids and ${b.attentionMask.length} mask values.`);
  if (b.seqLen > limits.maxPositions) fail(`sequence of ${b.seqLen} tokens exceeds the model's ${limits.maxPositions} positions.`);
  const vocab = BigInt(limits.vocabSize);
  for (let i = 0; i < n; i++) {
    const id = b.inputIds[i];
    if (id < 0n || id >= vocab) fail(`token id ${id} is outside the vocabulary of ${limits.vocabSize}.`);
    const m = b.attentionMask[i];
    if (m !== 0n && m !== 1n) fail(`attention mask values must be 0 or 1, found ${m}.`);
  }
  for (const name of limits.inputNames) {
    if (name !== 'input_ids' && name !== 'attention_mask' && name !== 'token_type_ids') fail(`the ONNX graph expects an input "${name}" this engine does not provide.`);
  }
}

/** Builds the feeds for a validated batch; token_type_ids are zeros (one segment). */
export function feedsFor(b: BatchInputs, inputNames: readonly string[]): Record<string, ort.Tensor> {
  const dims = [b.batch, b.seqLen];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', b.inputIds, dims),
    attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
  };
  if (inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b.batch * b.seqLen), dims);
  return feeds;
}
