/**
 * A model from the Hugging Face Hub into a folder the engine loads: the
 * revision is pinned to one commit, only the files the engine needs are
 * fetched, each is verified (LFS sha256, git blob id for the small ones) and
 * renamed into place only then, and `.cmb-download.json` records what the
 * folder holds. Cancelled, crashed or dropped downloads resume.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../../errors';
import type { Progress } from '../../progress';
import type { HttpResponse } from '../../net/httpRequest';
import { proxySettings } from '../../net/proxy';
import { downloadFile, PARTIAL_SUFFIX } from '../../net/resumableDownload';
import { formatBytes, TransferMeter } from '../../net/transferMeter';
import { inspectModelFolder } from '../folder';
import { planFiles, shardsFromIndex } from './filePlan';
import { hubError, hubHeaders, listFiles, resolveCommit, resolveEndpoint, resolveUrl, tokenFromEnv, validateRepoId, type HubFile, type HubOptions } from './hubApi';
import { acquireLock, folderNameFor, modelsDir, readManifest, writeManifest, type DownloadManifest, type ManifestFile } from './manifest';
import type { DownloadModelRequest, DownloadModelResult } from './protocol';

export interface DownloadContext {
  storageDir: string;
  signal?: AbortSignal;
  progress?(p: Progress): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  env?: NodeJS.ProcessEnv;
  /** tests: shorter timeouts and backoff, a private CA */
  net?: Pick<HubOptions, 'idleMs' | 'retryDelayMs' | 'tls'>;
}

/** Room for the files still to come, with a margin: the engine converts safetensors to ONNX next, which needs about as much again. */
function checkDiskSpace(dir: string, needed: number): void {
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  let free: number;
  try {
    const s = fs.statfsSync(probe);
    free = s.bavail * s.bsize;
  } catch {
    return; // no statfs here (old Node, odd file system): the write will say ENOSPC instead
  }
  const margin = 64 * 1024 * 1024;
  if (free < needed + margin) {
    throw new EngineError('download-failed', `The download needs ${formatBytes(needed)} but ${probe} has only ${formatBytes(free)} free; free some space (or choose another folder with --out) and run it again.`);
  }
}

/** sha256 or git blob id of a file on disk, to reuse files a folder already holds */
async function matchesDigest(file: string, f: HubFile): Promise<boolean> {
  const h = createHash(f.lfs ? 'sha256' : 'sha1');
  if (!f.lfs) h.update(`blob ${f.size}\0`);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex') === (f.lfs ? f.lfs.sha256 : f.oid).toLowerCase();
}

function manifestEntry(f: HubFile): ManifestFile {
  return f.lfs ? { path: f.path, size: f.size, sha256: f.lfs.sha256.toLowerCase() } : { path: f.path, size: f.size, gitBlobSha1: f.oid.toLowerCase() };
}

function sameContent(a: ManifestFile, f: HubFile): boolean {
  const b = manifestEntry(f);
  return a.size === b.size && (b.sha256 ? a.sha256 === b.sha256 : a.gitBlobSha1 === b.gitBlobSha1);
}

function fileSize(p: string): number | undefined {
  try {
    const s = fs.statSync(p);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** ETag values are quoted and may be weak: W/"abc" -> abc */
function normalizeEtag(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s ? s.replace(/^W\//, '').replace(/^"|"$/g, '') : undefined;
}

export async function downloadModel(req: DownloadModelRequest, ctx: DownloadContext): Promise<DownloadModelResult> {
  const started = Date.now();
  const env = ctx.env ?? process.env;
  const repo = validateRepoId(req.repo);
  const revision = req.revision?.trim() || 'main';
  const endpoint = resolveEndpoint(req.endpoint, env);
  const token = req.token?.trim() || tokenFromEnv(env);
  const proxy = proxySettings(env, { proxy: req.proxy, noProxy: req.noProxy });
  const hub: HubOptions = { endpoint, token, proxy, signal: ctx.signal, ...ctx.net };
  const dir = path.resolve(req.out ?? path.join(modelsDir(ctx.storageDir), folderNameFor(repo)));
  const progress = (message: string, fraction?: number) => ctx.progress?.({ message, fraction });
  const host = new URL(endpoint).host;

  progress(`Looking up ${repo} (${revision}) on ${host}`);
  const commit = await resolveCommit(repo, revision, hub);
  const listed = await listFiles(repo, commit, hub);
  const plan = planFiles(repo, listed);

  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new EngineError('download-failed', `The folder ${dir} cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose another with --out.`);
  }
  const release = acquireLock(dir);
  if (!release) throw new EngineError('download-failed', `Another download into ${dir} is running (another window or a cmb download); wait for it to finish.`);
  try {
    const previous = readManifest(dir);
    // partial files from a download of another commit may hold other bytes: start those afresh
    if (previous && previous.commit !== commit) {
      for (const f of [...plan.files, ...plan.shardCandidates]) fs.rmSync(path.join(dir, f.path) + PARTIAL_SUFFIX, { force: true });
    }
    const manifest: DownloadManifest = {
      format: 1,
      repo,
      revision,
      commit,
      endpoint: new URL(endpoint).origin,
      complete: false,
      startedAt: new Date().toISOString(),
      files: [],
    };

    // small files first: a repository refused later (no weights) costs nothing, and shards come after their index
    const queue = [...plan.files].sort((a, b) => a.size - b.size);
    const expectedTotal = () => queue.reduce((s, f) => s + f.size, 0) + (plan.weights === 'sharded-safetensors' ? plan.shardCandidates.reduce((s, f) => s + f.size, 0) : 0);
    const meter = new TransferMeter(expectedTotal());

    let reused = 0;
    const toFetch: HubFile[] = [];
    const previousEntries = new Map((previous?.files ?? []).map((f) => [f.path, f]));
    const sortOutExisting = async (files: HubFile[]) => {
      for (const f of files) {
        const target = path.join(dir, f.path);
        const size = fileSize(target);
        const known = previousEntries.get(f.path);
        const present = size === f.size && ((known && sameContent(known, f)) || (await matchesDigest(target, f)));
        if (present) {
          reused++;
          manifest.files.push(manifestEntry(f));
          meter.add(f.size, false);
        } else toFetch.push(f);
      }
    };
    await sortOutExisting(queue);
    const partialBytes = toFetch.reduce((s, f) => s + Math.min(f.size, fileSize(path.join(dir, f.path) + PARTIAL_SUFFIX) ?? 0), 0);
    checkDiskSpace(dir, expectedTotal() - meter.bytesDone - partialBytes);
    writeManifest(dir, manifest);

    let fetched = 0;
    let lastReport = 0;
    const report = (label: string, force = false) => {
      const now = Date.now();
      if (!force && now - lastReport < 250) return;
      lastReport = now;
      progress(`${label}: ${meter.describe()}`, meter.fraction());
    };
    const fetchOne = async (f: HubFile, index: number, count: number) => {
      const url = resolveUrl(endpoint, repo, commit, f.path);
      const label = `${f.path} (${index}/${count})`;
      report(label, true);
      const r = await downloadFile(
        {
          url,
          dest: path.join(dir, f.path),
          size: f.size,
          label: f.path,
          headers: hubHeaders(url, hub),
          ...(f.lfs ? { sha256: f.lfs.sha256 } : { gitBlobSha1: f.oid }),
        },
        {
          signal: ctx.signal,
          proxy,
          idleMs: ctx.net?.idleMs,
          retryDelayMs: ctx.net?.retryDelayMs,
          tls: ctx.net?.tls,
          onBytes: (delta, network) => {
            meter.add(delta, network);
            report(label);
          },
          checkResponse: (res: HttpResponse) => {
            const served = res.firstHeaders['x-repo-commit'];
            if (served && served !== commit) throw new EngineError('download-failed', `${host} served ${f.path} from commit ${String(served).slice(0, 12)}, not ${commit.slice(0, 12)}; run the download again.`);
            const linkedSize = res.firstHeaders['x-linked-size'];
            if (linkedSize !== undefined && Number(linkedSize) !== f.size) throw new EngineError('download-failed', `${host} says ${f.path} is ${linkedSize} bytes, but its file list says ${f.size}; run the download again.`);
            const etag = normalizeEtag(res.firstHeaders['x-linked-etag']);
            if (f.lfs && etag && /^[0-9a-f]{64}$/i.test(etag) && etag.toLowerCase() !== f.lfs.sha256.toLowerCase()) {
              throw new EngineError('download-failed', `${host} names a different content for ${f.path} than its file list; run the download again.`);
            }
          },
          httpError: (res) => hubError(res, { repo, revision, endpoint, hasToken: !!token, file: f.path }),
        },
      );
      fetched += r.fetched;
      manifest.files.push(manifestEntry(f));
      writeManifest(dir, manifest);
      if (r.resumedFrom > 0) ctx.log?.('info', `Resumed ${f.path} from ${formatBytes(r.resumedFrom)}.`);
    };

    const next = () => {
      const total = manifest.files.length + toFetch.length;
      return fetchOne(toFetch.shift()!, manifest.files.length + 1, total);
    };
    while (toFetch.length) {
      const f = toFetch[0]!;
      await next();
      if (f.path === 'model.safetensors.index.json') {
        const shards = shardsFromIndex(repo, fs.readFileSync(path.join(dir, f.path), 'utf8'), plan.shardCandidates);
        queue.push(...shards);
        plan.shardCandidates = [];
        meter.setTotal(expectedTotal());
        const before = toFetch.length;
        await sortOutExisting(shards);
        checkDiskSpace(dir, toFetch.slice(before).reduce((s, x) => s + x.size, 0));
      }
    }
    // the index may have been reused from an earlier run: its shards still have to be sorted out
    if (plan.weights === 'sharded-safetensors' && plan.shardCandidates.length) {
      const shards = shardsFromIndex(repo, fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8'), plan.shardCandidates);
      queue.push(...shards);
      plan.shardCandidates = [];
      meter.setTotal(expectedTotal());
      await sortOutExisting(shards);
      checkDiskSpace(dir, toFetch.reduce((s, x) => s + x.size, 0));
      while (toFetch.length) await next();
    }

    // weights of an earlier download that this commit no longer has (e.g. onnx/model.onnx, which would win over model.safetensors)
    const now = new Set(manifest.files.map((f) => f.path));
    for (const old of previous?.files ?? []) {
      if (!now.has(old.path)) {
        fs.rmSync(path.join(dir, old.path), { force: true });
        fs.rmSync(path.join(dir, old.path) + PARTIAL_SUFFIX, { force: true });
      }
    }
    manifest.complete = true;
    manifest.completedAt = new Date().toISOString();
    writeManifest(dir, manifest);
    const bytes = manifest.files.reduce((s, f) => s + f.size, 0);
    progress(`Downloaded ${repo}: ${formatBytes(bytes)}`, 1);
    ctx.log?.('info', `Downloaded ${repo} at ${commit.slice(0, 12)} into ${dir}: ${manifest.files.length} files, ${formatBytes(bytes)} (${formatBytes(fetched)} over the network).`);
    try {
      inspectModelFolder(dir, { acceptVocabTxt: true });
    } catch (e) {
      if (e instanceof EngineError) throw new EngineError(e.code, `${repo} was downloaded to ${dir}, but the engine cannot load it: ${e.message}`);
      throw e;
    }
    return { dir, repo, revision, commit, files: manifest.files.length, bytes, fetched, reused, seconds: (Date.now() - started) / 1000 };
  } finally {
    release();
  }
}
