/**
 * safetensors checkpoint -> ONNX file, written atomically (temp file, then
 * rename) so an interrupted conversion never leaves a half-written model that
 * a later load would trust. A stamp beside the ONNX file records the source's
 * size and mtime; a changed checkpoint is converted again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { EngineError } from '../../errors';
import { partialPathFor, removeStalePartials, removeStalePartialsBelow } from '../../partialFiles';
import { requireRegularFile, somethingAt } from '../../regularFile';
import type { ModelFolder } from '../folder';
import { buildBertGraph } from './bert';
import { CheckpointWeights } from './checkpointWeights';
import type { BuiltGraph, HeadKind } from './heads';
import { buildModernBertGraph } from './modernbert';
import { encodeModel, writeMessage } from './onnxModel';
import type { ProtoMessage } from './protobufWriter';
import { describeVariant, productVariant, referenceVariant, variantFileNames, type GraphVariant, type Precision } from './variant';

/** bump when the graph a checkpoint converts to changes, so cached files are rebuilt */
export const converterVersion = '2';

export type ConvertProgress = (fraction: number, message: string) => void;

export interface ConvertOptions {
  onProgress?: ConvertProgress;
  signal?: AbortSignal;
  /** tests: replaces the byte writer (to simulate a full disk) */
  write?: WriteBytes;
  /** which graph to write (default: float32 with standard ops, the reference) */
  variant?: GraphVariant;
}

export interface ConvertResult {
  onnxPath: string;
  head: HeadKind;
  /** logits width (vocabulary for mlm, labels for classifiers); 0 without a head */
  labels: number;
  inputNames: string[];
  outputNames: string[];
}

interface Stamp {
  converterVersion: string;
  source: string;
  size: number;
  mtimeMs: number;
  /** absent in stamps written before variants existed: those are float32 */
  precision?: Precision;
  /** the graph of a non-fp32 variant ("int8, fused"): a file of another graph is converted again */
  graph?: string;
}

/** What a converted file was made from: `source` names it, `files` are every file it was read from. */
export interface ConversionSource {
  source: string;
  files: string[];
}

function sourceIdentity(src: ConversionSource): Stamp {
  let size = 0;
  let mtimeMs = 0;
  for (const f of new Set([src.source, ...src.files])) {
    const s = statSync(f);
    size += s.size;
    mtimeMs = Math.max(mtimeMs, s.mtimeMs);
  }
  return { converterVersion, source: src.source, size, mtimeMs };
}

function checkpointSource(folder: ModelFolder): ConversionSource {
  if (!folder.safetensorsPath) throw new EngineError('missing-file', 'The model folder has no model.safetensors to convert.');
  return { source: folder.safetensorsPath, files: folder.safetensorsFiles };
}

function stampPath(onnxPath: string): string {
  return `${onnxPath}.source.json`;
}

/** true when `onnxPath` was written by this converter (a stamp lies beside it), so it may be rebuilt from its source */
export function isConvertedFile(onnxPath: string): boolean {
  return existsSync(stampPath(onnxPath));
}

function cancelled(): EngineError {
  return new EngineError('cancelled', 'Model conversion was cancelled.');
}

/** Where an encoded model's bytes go: fs.writeSync, or a stand-in in tests (a full disk). */
export type WriteBytes = (fd: number, bytes: Uint8Array) => void;

/**
 * Writes an encoded ONNX model atomically: a temp file renamed into place, so an
 * interrupted write never leaves a half-written model that a later load trusts.
 */
export function writeOnnxFile(model: ProtoMessage, outPath: string, onProgress: ConvertProgress = () => {}, signal?: AbortSignal, write?: WriteBytes): void {
  if (model.byteLength > 2 ** 31 - 1) {
    throw new EngineError('unsupported-model', `The converted model would be ${Math.round(model.byteLength / 2 ** 20)} MB, over ONNX's 2 GB single-file limit.`);
  }
  const dir = dirname(outPath);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw writeFailure(e, dir, model.byteLength);
  }
  removeStalePartials(outPath);
  const tmp = partialPathFor(outPath);
  try {
    writeMessage(tmp, model, (done, total) => onProgress(done / total, `writing ${Math.round(done / 2 ** 20)} of ${Math.round(total / 2 ** 20)} MB`), signal, write);
    renameSync(tmp, outPath);
  } catch (e) {
    rmSync(tmp, { force: true });
    if ((e as Error)?.name === 'AbortError' || signal?.aborted) throw cancelled();
    throw writeFailure(e, dir, model.byteLength);
  }
}

/** A failed write as one line: a full disk, a read-only folder, or the system's error code; anything else unchanged. */
function writeFailure(e: unknown, dir: string, bytes: number): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof EngineError || typeof code !== 'string') return e;
  const mb = Math.max(1, Math.round(bytes / 2 ** 20));
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new EngineError('write-failed', `The disk is full: the converted model needs about ${mb} MB in ${dir}. Free some space (nothing was left behind) and load the model again.`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new EngineError(
      'write-failed',
      `The converted model cannot be written to ${dir} (${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}). Make the folder writable, or convert into another folder (cmb convert --cache DIR).`,
    );
  }
  return new EngineError('write-failed', `The converted model could not be written to ${dir} (${code}).`);
}

export function convertCheckpoint(folder: ModelFolder, outPath: string, opts: ConvertOptions = {}): ConvertResult {
  const { onProgress = () => {}, signal } = opts;
  if (folder.safetensorsFiles.length === 0) throw new EngineError('missing-file', 'The model folder has no model.safetensors to convert.');
  const cfg = folder.config;
  onProgress(0, 'reading weights');
  const weights = CheckpointWeights.open(folder.safetensorsFiles);
  if (signal?.aborted) throw cancelled();
  const buildShare = 0.25;
  const progress = (f: number, m: string) => {
    if (signal?.aborted) throw cancelled();
    onProgress(0.05 + buildShare * f, `building graph: ${m}`);
  };
  const variant = opts.variant ?? referenceVariant;
  const build = cfg.modelType === 'bert' ? buildBertGraph : buildModernBertGraph;
  const built: BuiltGraph = build(cfg, weights, progress, variant);
  const model = encodeModel(built.graph, {
    producerName: 'clinical-modernbert converter',
    producerVersion: converterVersion,
    docString:
      `${cfg.modelType} encoder converted from safetensors (${describeVariant(variant)})` +
      (cfg.modelType === 'bert' ? '; token_type_ids: pass zeros for single-segment text' : '') +
      (built.head !== 'none' ? `; head: ${built.head}` : ''),
    metadata: {
      model_type: cfg.modelType, head: built.head, converter_version: converterVersion, precision: variant.precision, fused: String(variant.fused),
    },
  });

  writeOnnxFile(model, outPath, (f, m) => onProgress(0.05 + buildShare + (1 - 0.05 - buildShare) * f, m), signal, opts.write);
  onProgress(1, 'converted');
  return {
    onnxPath: outPath,
    head: built.head,
    labels: built.labels,
    inputNames: built.inputNames,
    outputNames: built.graph.outputs.map((o) => o.name),
  };
}

/**
 * Where the converted file of a checkpoint lives: beside it (onnx/model.onnx)
 * when cacheDir is empty, else in cacheDir under a hash of the source's path,
 * size and mtime, so read-only model folders work too.
 */
export function onnxPathFor(folder: ModelFolder, cacheDir: string, precision: Precision = 'fp32'): string {
  const name = variantFileNames[precision];
  return cachedOnnxPath(checkpointSource(folder), join(folder.dir, 'onnx', name), cacheDir);
}

/** `besideSource` when cacheDir is empty, else a file of the same name in cacheDir under a hash of the source's path, size and mtime */
export function cachedOnnxPath(src: ConversionSource, besideSource: string, cacheDir: string): string {
  if (!cacheDir) return besideSource;
  const id = sourceIdentity(src);
  const key = createHash('sha256').update(`${id.source}\0${id.size}\0${id.mtimeMs}`).digest('hex').slice(0, 32);
  return join(cacheDir, key, basename(besideSource));
}

function stampIsCurrent(onnxPath: string, expected: Stamp): boolean {
  try {
    const s = JSON.parse(readFileSync(stampPath(onnxPath), 'utf8')) as Stamp;
    return (
      s.converterVersion === expected.converterVersion && s.size === expected.size && s.mtimeMs === expected.mtimeMs && s.source === expected.source &&
      (s.precision ?? 'fp32') === (expected.precision ?? 'fp32') && s.graph === expected.graph
    );
  } catch {
    return false;
  }
}

export interface EnsureOnnxOptions extends ConvertOptions {
  cacheDir?: string;
  /** convert even when a current file exists */
  force?: boolean;
  /** which variant (default fp32, the reference graph) */
  precision?: Precision;
  /**
   * A folder that ships onnx/model.onnx but not the variant asked for runs its
   * own file rather than one converted from its safetensors (precision auto:
   * the user's files first; an explicit precision converts).
   */
  keepShipped?: boolean;
}

export interface EnsuredOnnx {
  onnxPath: string;
  converted: boolean;
  /** the precision of onnxPath: the one asked for, or fp32 when the folder cannot give it */
  precision: Precision;
  /** why the precision differs from the one asked for */
  fallback?: string;
}

/** onnx/<name> shipped with the model (optimum and transformers.js layout), if there is one */
function shippedVariant(folder: ModelFolder, precision: Precision): string | undefined {
  if (precision === 'fp32') return folder.onnxPath;
  const path = join(folder.dir, 'onnx', variantFileNames[precision]);
  if (!somethingAt(path)) return undefined;
  requireRegularFile(path, `onnx/${variantFileNames[precision]} in the model folder`);
  return path;
}

/**
 * The ONNX file to load for a folder and precision: one shipped with the
 * checkpoint (no stamp: not ours to replace), else our converted file,
 * converting only when it is missing or older than the safetensors it came
 * from. Each precision is its own file with its own stamp. A folder with an
 * ONNX file but no checkpoint can only give what it ships: float32 otherwise.
 */
export function ensureOnnx(folder: ModelFolder, opts: EnsureOnnxOptions = {}): EnsuredOnnx {
  const precision = opts.precision ?? 'fp32';
  const shipped = shippedVariant(folder, precision);
  if (shipped && !existsSync(stampPath(shipped)) && !(opts.force && folder.safetensorsPath)) {
    return { onnxPath: shipped, converted: false, precision };
  }
  if (opts.keepShipped && precision !== 'fp32' && folder.onnxPath && !existsSync(stampPath(folder.onnxPath)) && !opts.force) {
    return {
      onnxPath: folder.onnxPath, converted: false, precision: 'fp32',
      fallback: `the folder ships its own ONNX file, which auto runs as given (set the precision to ${precision} to convert model.safetensors instead)`,
    };
  }
  if (!folder.safetensorsPath) {
    if (shipped) return { onnxPath: shipped, converted: false, precision };
    if (folder.onnxPath) {
      return {
        onnxPath: folder.onnxPath, converted: false, precision: 'fp32',
        fallback: `the folder has no onnx/${variantFileNames[precision]} and no model.safetensors to make it from`,
      };
    }
    throw new EngineError('missing-file', 'The model folder has neither model.safetensors nor onnx/model.onnx.');
  }
  const target = onnxPathFor(folder, opts.cacheDir ?? '', precision);
  // the cache holds one folder per checkpoint version: leftovers of older versions are swept too
  if (opts.cacheDir) removeStalePartialsBelow(opts.cacheDir, basename(target));
  const variant = productVariant(precision, folder.config.modelType);
  const r = convertIfStale(checkpointSource(folder), target, opts.force ?? false, (t) => convertCheckpoint(folder, t, { ...opts, variant }), precision, describeVariant(variant));
  return { ...r, precision };
}

/**
 * The converted file at `target`, converting first when it is missing, or its
 * stamp (written beside it) says the source changed or the converter did.
 */
export function convertIfStale(
  src: ConversionSource, target: string, force: boolean, convert: (target: string) => void, precision: Precision = 'fp32', graph?: string,
): { onnxPath: string; converted: boolean } {
  // a conversion killed last time left its partial file here; checked on every load, not only on the next conversion
  removeStalePartials(target);
  // fp32 stamps stay as they were before variants existed, so those files are not converted again
  const stamp: Stamp = { ...sourceIdentity(src), ...(precision !== 'fp32' ? { precision, graph } : {}) };
  if (!force && existsSync(target) && stampIsCurrent(target, stamp)) return { onnxPath: target, converted: false };
  convert(target);
  try {
    writeFileSync(stampPath(target), JSON.stringify(stamp, null, 2));
  } catch (e) {
    throw writeFailure(e, dirname(target), 1024);
  }
  return { onnxPath: target, converted: true };
}
