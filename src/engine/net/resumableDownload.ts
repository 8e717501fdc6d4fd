/**
 * Downloads one file to `FILE.cmb-partial`, resuming from the bytes a
 * cancelled, crashed or dropped earlier attempt left there (HTTP Range), and
 * renames it to FILE only once its size and digest match what the server
 * published. A folder therefore never holds a half or corrupt file under a
 * real name, whatever happens in between.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { httpRequest, NetworkError, readBody, type HttpRequestOptions, type HttpResponse } from './httpRequest';

export const PARTIAL_SUFFIX = '.cmb-partial';

export interface Digests {
  /** hex: the LFS oid of a Hub file */
  sha256?: string;
  /** hex: the git blob id of a small (non-LFS) Hub file, `git hash-object` */
  gitBlobSha1?: string;
  /** base64: a NuGet package's packageHash */
  sha512Base64?: string;
}

export interface DownloadSpec extends Digests {
  url: string;
  /** final path; the partial file sits beside it */
  dest: string;
  /** expected size in bytes */
  size: number;
  /** names the file in messages (a path in the repository, a package file name) */
  label: string;
  headers?: Record<string, string>;
}

export interface DownloadFileOptions extends Pick<HttpRequestOptions, 'signal' | 'proxy' | 'idleMs' | 'tls'> {
  /** failed attempts in a row, without a byte of progress, before giving up (huggingface_hub: 5) */
  retries?: number;
  /** first backoff delay; doubles per failure, capped at 30 s */
  retryDelayMs?: number;
  /** bytes added to the file (negative when it restarts); `network`: false for bytes an earlier attempt left on disk */
  onBytes?(delta: number, network: boolean): void;
  /** looks at the answer before any byte is written (e.g. the Hub's commit header); throws to refuse it */
  checkResponse?(r: HttpResponse): void;
  /** the one-line error for an HTTP error status that retrying will not fix */
  httpError(r: HttpResponse, body: string): Error;
}

export interface DownloadFileResult {
  size: number;
  /** bytes received over the network in this call */
  fetched: number;
  /** bytes already in the partial file when the call started */
  resumedFrom: number;
  attempts: number;
}

/** writes of this size keep syscalls few and progress fine-grained */
const FLUSH_BYTES = 256 * 1024;

function cancelled(label: string): EngineError {
  return new EngineError('cancelled', `Downloading ${label} was cancelled; run the download again to resume it.`);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

class DigestState {
  private hashes: Array<[keyof Digests, Hash]> = [];
  constructor(
    private readonly spec: DownloadSpec,
  ) {
    this.reset();
  }

  reset(): void {
    this.hashes = [];
    if (this.spec.sha256) this.hashes.push(['sha256', createHash('sha256')]);
    if (this.spec.sha512Base64) this.hashes.push(['sha512Base64', createHash('sha512')]);
    if (this.spec.gitBlobSha1) {
      // git hashes "blob <size>\0" and then the content
      const h = createHash('sha1');
      h.update(`blob ${this.spec.size}\0`);
      this.hashes.push(['gitBlobSha1', h]);
    }
  }

  update(b: Buffer): void {
    for (const [, h] of this.hashes) h.update(b);
  }

  /** the name of the first digest that does not match, or undefined */
  mismatch(): keyof Digests | undefined {
    for (const [name, h] of this.hashes) {
      const got = name === 'sha512Base64' ? h.digest('base64') : h.digest('hex');
      const want = this.spec[name]!;
      if (name === 'sha512Base64' ? got !== want : got !== want.toLowerCase()) return name;
    }
    return undefined;
  }
}

const digestNames: Record<keyof Digests, string> = { sha256: 'sha256', gitBlobSha1: 'git blob id', sha512Base64: 'SHA-512' };

function diskError(e: unknown, label: string, remaining: number): EngineError {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC') {
    return new EngineError('download-failed', `The disk is full while writing ${label} (${(remaining / 1e6).toFixed(0)} MB still to come); free some space and run the download again to resume it.`);
  }
  if (err?.code === 'EACCES' || err?.code === 'EPERM' || err?.code === 'EROFS') {
    return new EngineError('download-failed', `${label} cannot be written (${err.code}): choose a folder you can write to.`);
  }
  return new EngineError('download-failed', `${label} could not be written: ${err?.message ?? String(e)}.`);
}

/** Hashes the bytes a previous attempt left in the partial file. */
async function hashExisting(file: string, bytes: number, digests: DigestState, signal?: AbortSignal): Promise<void> {
  if (bytes === 0) return;
  const stream = fs.createReadStream(file, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    if (signal?.aborted) {
      stream.destroy();
      return;
    }
    digests.update(chunk as Buffer);
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** `bytes START-END/TOTAL` -> [START, TOTAL] */
function contentRange(h: string | undefined): [number, number] | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(h ?? '');
  return m ? [Number(m[1]), m[3] === '*' ? NaN : Number(m[3])] : undefined;
}

function retryAfterMs(r: HttpResponse): number | undefined {
  const v = Number(r.headers['retry-after']);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 60) * 1000 : undefined;
}

/**
 * Downloads spec.url to spec.dest. Cancelling leaves the partial file for the
 * next call to resume; a digest mismatch deletes it and tries once more from
 * the start before giving up.
 */
export async function downloadFile(spec: DownloadSpec, opts: DownloadFileOptions): Promise<DownloadFileResult> {
  const partial = spec.dest + PARTIAL_SUFFIX;
  const { signal } = opts;
  try {
    fs.mkdirSync(path.dirname(spec.dest), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw diskError(e, path.dirname(spec.dest), spec.size);
  }
  const digests = new DigestState(spec);
  let have = sizeOf(partial);
  if (have > spec.size) {
    fs.rmSync(partial, { force: true });
    have = 0;
  }
  const resumedFrom = have;
  if (spec.size === 0) fs.writeFileSync(partial, '', { mode: 0o600 });
  await hashExisting(partial, have, digests, signal);
  if (signal?.aborted) throw cancelled(spec.label);
  opts.onBytes?.(have, false);

  const retries = opts.retries ?? 5;
  const baseDelay = opts.retryDelayMs ?? 1000;
  let failures = 0;
  let attempts = 0;
  let fetched = 0;
  let restartedAfterMismatch = false;

  const restart = () => {
    fs.rmSync(partial, { force: true });
    opts.onBytes?.(-have, false);
    have = 0;
    digests.reset();
  };

  for (;;) {
    while (have < spec.size) {
      if (signal?.aborted) throw cancelled(spec.label);
      attempts++;
      const before = have;
      let fd: fs.promises.FileHandle | undefined;
      const pending: Buffer[] = [];
      let pendingBytes = 0;
      let overrun = false;
      const flush = async () => {
        if (!pendingBytes || !fd) return;
        const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending.length = 0;
        pendingBytes = 0;
        try {
          await fd.write(b);
        } catch (e) {
          throw diskError(e, spec.label, spec.size - have);
        }
        // hashed only once on disk, so the digest state always matches the partial file
        digests.update(b);
        have += b.length;
        fetched += b.length;
        opts.onBytes?.(b.length, true);
      };
      try {
        const headers: Record<string, string> = { ...spec.headers, 'accept-encoding': 'identity' };
        if (have > 0) headers.range = `bytes=${have}-`;
        const res = await httpRequest(spec.url, { headers, signal, proxy: opts.proxy, idleMs: opts.idleMs, tls: opts.tls });
        if (res.status === 416 && have > 0) {
          // the server cannot serve from here: the partial is longer than its file; start over
          res.body.resume();
          restart();
          continue;
        }
        if (res.status === 408 || res.status === 429 || res.status >= 500) {
          res.body.resume();
          const wait = retryAfterMs(res);
          throw Object.assign(new NetworkError(`${res.url.host} answered HTTP ${res.status}`, `HTTP${res.status}`), { wait });
        }
        if (res.status !== 200 && res.status !== 206) {
          const body = (await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0))).toString('utf8');
          throw opts.httpError(res, body);
        }
        opts.checkResponse?.(res);
        if (res.status === 206) {
          const range = contentRange(res.headers['content-range']);
          if (!range || range[0] !== have) {
            res.body.destroy();
            restart();
            continue;
          }
          if (Number.isFinite(range[1]) && range[1] !== spec.size) {
            res.body.destroy();
            throw new EngineError('download-failed', `${spec.label} on the server is ${range[1]} bytes, not the ${spec.size} its listing says; the repository may have changed during the download. Run it again.`);
          }
        } else {
          // 200: the whole file, whatever range was asked for (a CDN may ignore Range)
          if (have > 0) restart();
          const length = res.headers['content-length'];
          if (length !== undefined && Number(length) !== spec.size) {
            res.body.destroy();
            throw new EngineError('download-failed', `${spec.label} on the server is ${length} bytes, not the ${spec.size} its listing says; the repository may have changed during the download. Run it again.`);
          }
        }
        try {
          fd = await fs.promises.open(partial, have > 0 ? 'a' : 'w', 0o600);
        } catch (e) {
          res.body.destroy();
          throw diskError(e, spec.label, spec.size - have);
        }
        try {
          for await (const chunk of res.body) {
            const b = chunk as Buffer;
            if (have + pendingBytes + b.length > spec.size) {
              res.body.destroy();
              overrun = true;
              throw new EngineError('download-failed', `The server sent more than the ${spec.size} bytes of ${spec.label}; the download was stopped and discarded.`);
            }
            pending.push(b);
            pendingBytes += b.length;
            if (pendingBytes >= FLUSH_BYTES) await flush();
          }
        } catch (e) {
          if (e instanceof EngineError) throw e;
          // bytes received before the drop are good: keep them for the resume
          await flush();
          if (signal?.aborted) throw cancelled(spec.label);
          throw new NetworkError(`the connection to ${res.url.host} dropped during ${spec.label}`, (e as NodeJS.ErrnoException).code ?? 'ECONNRESET');
        }
        await flush();
        if (have < spec.size) throw new NetworkError(`the connection to ${res.url.host} closed before the end of ${spec.label}`, 'ECONNABORTED');
        await fd.sync();
      } catch (e) {
        if (overrun) fs.rmSync(partial, { force: true });
        if (signal?.aborted || (e as Error)?.name === 'AbortError') throw cancelled(spec.label);
        if (!(e instanceof NetworkError)) throw e;
        failures = have > before ? 1 : failures + 1;
        if (failures > retries) {
          throw new EngineError('download-failed', `Downloading ${spec.label} failed after ${attempts} attempts: ${e.message}. Check the connection (or proxy) and run it again; it resumes where it stopped.`);
        }
        const wait = (e as NetworkError & { wait?: number }).wait ?? Math.min(30_000, baseDelay * 2 ** (failures - 1));
        await sleep(wait, signal);
      } finally {
        await fd?.close().catch(() => undefined);
      }
      // a write that failed half-way leaves the file longer than what was hashed: re-read it
      const onDisk = sizeOf(partial);
      if (onDisk !== have) {
        opts.onBytes?.(-have, false);
        digests.reset();
        have = Math.min(onDisk, spec.size);
        if (onDisk > spec.size) restart();
        else {
          await hashExisting(partial, have, digests, signal);
          opts.onBytes?.(have, false);
        }
      }
    }
    const wrong = digests.mismatch();
    if (!wrong) break;
    fs.rmSync(partial, { force: true });
    if (restartedAfterMismatch) {
      throw new EngineError(
        'download-failed',
        `${spec.label} did not match its ${digestNames[wrong]} twice, so it was discarded: the server or a proxy is sending different bytes than the repository lists. Try again later or another network.`,
      );
    }
    restartedAfterMismatch = true;
    opts.onBytes?.(-have, false);
    have = 0;
    digests.reset();
  }
  try {
    fs.renameSync(partial, spec.dest);
  } catch (e) {
    throw diskError(e, spec.label, 0);
  }
  return { size: spec.size, fetched, resumedFrom, attempts };
}
