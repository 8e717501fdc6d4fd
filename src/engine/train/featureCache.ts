/**
 * Frozen encoder features (hidden states of the last k layers), computed once
 * per window and kept on disk, so a second training run on the same notes, or
 * a run with other head settings, does not run the encoder again.
 *
 * - Key: sha256 over the encoder's fingerprint, the converter version, the
 *   precision variant that ran (int8 features are not fp32's), the outputs
 *   read (which layers) and the window's token ids. The window's
 *   position in the note plays no part: the encoder sees only the ids.
 * - One file per window, `<storage>/features/<2 hex>/<hash>.f32`: a 16-byte
 *   header (magic, version, rows, columns) and float32 rows, little-endian.
 *   Written to a temporary file and renamed, so a reader never sees half a
 *   file and two processes may fill the cache at once; files are the user's
 *   only (0600): hidden states are derived from note text.
 * - Size cap: after a run, the least recently used files (a hit refreshes a
 *   file's time) go until the folder fits. A file removed under a reader is a
 *   miss, never an error.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import type { LoadedModel } from '../host';
import type { TokenWindow } from '../text/types';

const MAGIC = 0x46424d43; // "CMBF"
const VERSION = 1;
const HEADER_BYTES = 16;
export const DEFAULT_FEATURE_CACHE_BYTES = 4 * 2 ** 30;

export interface FeatureCacheOptions {
  /** the folder (created 0700 when missing) */
  dir: string;
  /** bytes kept after a run; default 4 GiB */
  maxBytes?: number;
}

export class FeatureCache {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(o: FeatureCacheOptions) {
    this.dir = o.dir;
    this.maxBytes = o.maxBytes ?? DEFAULT_FEATURE_CACHE_BYTES;
  }

  static key(encoderKey: string, outputs: readonly string[], ids: readonly number[]): string {
    return createHash('sha256').update(`${encoderKey}\u0000${outputs.join(',')}\u0000${ids.join(',')}`).digest('hex');
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.f32`);
  }

  /** The cached rows, or undefined when absent, unreadable or of another shape. */
  get(key: string, rows: number, columns: number): Float32Array | undefined {
    const f = this.file(key);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(f);
    } catch {
      return undefined;
    }
    if (buf.length !== HEADER_BYTES + rows * columns * 4) return undefined;
    if (buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION || buf.readUInt32LE(8) !== rows || buf.readUInt32LE(12) !== columns) return undefined;
    // every platform onnxruntime-node ships for is little-endian; slice() gives an aligned copy
    const out = new Float32Array(buf.buffer.slice(buf.byteOffset + HEADER_BYTES, buf.byteOffset + buf.length));
    try {
      const now = new Date();
      fs.utimesSync(f, now, now);
    } catch {
      // evicted meanwhile by another run: the rows read are still good
    }
    return out;
  }

  put(key: string, rows: number, columns: number, data: Float32Array): void {
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(rows, 8);
    header.writeUInt32LE(columns, 12);
    const buf = Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    const tmp = `${f}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
    try {
      fs.writeFileSync(tmp, buf, { mode: 0o600 });
      fs.renameSync(tmp, f);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw new EngineError('internal', `The feature cache in ${this.dir} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
  }

  /** Removes the least recently used files until the folder holds at most maxBytes; returns the bytes kept. */
  trim(): number {
    const files: Array<{ f: string; size: number; time: number }> = [];
    let total = 0;
    let shards: string[];
    try {
      shards = fs.readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(this.dir, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        const f = path.join(this.dir, shard, name);
        try {
          const s = fs.statSync(f);
          // a .partial older than an hour belongs to a crashed run
          if (name.endsWith('.partial')) {
            if (Date.now() - s.mtimeMs > 3600_000) fs.rmSync(f, { force: true });
            continue;
          }
          files.push({ f, size: s.size, time: s.mtimeMs });
          total += s.size;
        } catch {
          // gone meanwhile
        }
      }
    }
    files.sort((a, b) => a.time - b.time);
    for (const x of files) {
      if (total <= this.maxBytes) break;
      fs.rmSync(x.f, { force: true });
      total -= x.size;
    }
    return total;
  }
}

export interface FeatureRequest {
  /** the encoder outputs to concatenate per token (hiddenStates.lastLayerOutputs) */
  outputs: readonly string[];
  hidden: number;
  /** fingerprint of the encoder and its conversion */
  encoderKey: string;
  cache?: FeatureCache;
  signal?: AbortSignal;
  /** windows done (cached or computed) of the total */
  onProgress?(done: number, total: number, computed: number): void;
}

export interface Features {
  /** per window: [ids.length, hidden * outputs.length] row-major */
  rows: Float32Array[];
  width: number;
  /** windows read from the cache / computed by the encoder */
  cached: number;
  computed: number;
  /** content and special tokens run through the encoder (0 when all were cached) */
  tokensComputed: number;
}

/** Windows per encoder call: progress and cancellation between calls, and a bounded batch of hidden states in memory. */
const CHUNK = 32;

/**
 * Features of every window: from the cache where present, else from the
 * encoder (in length-bucketed batches, model.run), stored for next time.
 */
export async function windowFeatures(model: LoadedModel, windows: readonly TokenWindow[], req: FeatureRequest): Promise<Features> {
  const width = req.hidden * req.outputs.length;
  const rows: Float32Array[] = new Array(windows.length);
  const keys = windows.map((w) => FeatureCache.key(req.encoderKey, req.outputs, w.ids));
  const missing: number[] = [];
  let cached = 0;
  windows.forEach((w, i) => {
    const hit = req.cache?.get(keys[i]!, w.ids.length, width);
    if (hit) {
      rows[i] = hit;
      cached++;
    } else missing.push(i);
  });
  // the same window twice (a repeated note) runs once
  const unique = new Map<string, number[]>();
  for (const i of missing) {
    const k = keys[i]!;
    const list = unique.get(k);
    if (list) list.push(i);
    else unique.set(k, [i]);
  }
  const todo = [...unique.values()];
  req.onProgress?.(cached, windows.length, 0);
  let done = cached;
  let tokensComputed = 0;
  for (let c = 0; c < todo.length; c += CHUNK) {
    if (req.signal?.aborted) throw new EngineError('cancelled', 'Training was cancelled.');
    const chunk = todo.slice(c, c + CHUNK);
    const out = await model.run(chunk.map((list) => windows[list[0]!]!.ids), req.outputs, req.signal);
    chunk.forEach((list, j) => {
      const w = windows[list[0]!]!;
      const len = w.ids.length;
      const data = new Float32Array(len * width);
      req.outputs.forEach((name, o) => {
        const t = out[j]![name];
        if (!t || t.dims[0] !== len || t.dims[1] !== req.hidden) {
          throw new EngineError('internal', `The encoder's "${name}" output has shape [${t?.dims.join(', ') ?? ''}], not [${len}, ${req.hidden}].`);
        }
        for (let r = 0; r < len; r++) data.set(t.data.subarray(r * req.hidden, (r + 1) * req.hidden), r * width + o * req.hidden);
      });
      tokensComputed += len;
      req.cache?.put(keys[list[0]!]!, len, width, data);
      for (const i of list) rows[i] = data;
      done += list.length;
    });
    req.onProgress?.(done, windows.length, c + chunk.length);
  }
  return { rows, width, cached, computed: todo.length, tokensComputed };
}
