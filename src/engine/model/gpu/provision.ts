/**
 * Sets up CUDA for the bundled onnxruntime-node without touching the
 * extension's folder: the provider libraries come from the NuGet package
 * onnxruntime-node's own installer uses (verified against the feed's SHA-512,
 * then each entry against its CRC, its ELF header and the package's id and
 * version), and are placed with a copy of the bundled binding and
 * libonnxruntime in `<storage>/ort-cuda/<version>/`, which the engine loads
 * from then on (ortRuntime.ts). The folder is assembled under a temporary name
 * and renamed into place whole.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../../errors';
import type { Progress } from '../../progress';
import type { HttpRequestOptions } from '../../net/httpRequest';
import { proxySettings } from '../../net/proxy';
import { downloadFile } from '../../net/resumableDownload';
import { formatBytes, TransferMeter } from '../../net/transferMeter';
import { ZipArchive, type ZipMember } from '../../zipArchive';
import { bundledBinDir, bundledOrtVersion, isCudaLibrary, NUGET_FEED, ORT_CUDA_PACKAGES, type OrtCudaPackage } from './cudaPackage';
import { EM_X86_64, readElfDynamic } from './elf';
import { resolveNugetPackage } from './nuget';
import { BINDING, cudaRuntimeDir, cudaRuntimeRoot, ORT_LIBRARY, RUNTIME_MANIFEST, type RuntimeManifest } from './ortRuntime';
import type { InstallCudaRequest, InstallCudaResult } from './protocol';

export interface InstallCudaContext {
  storageDir: string;
  signal?: AbortSignal;
  progress?(p: Progress): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  env?: NodeJS.ProcessEnv;
  platform?: string;
  arch?: string;
  /** tests: timeouts, backoff, a private CA */
  net?: Pick<HttpRequestOptions, 'idleMs' | 'tls'> & { retryDelayMs?: number };
}

function cancelled(): EngineError {
  return new EngineError('cancelled', 'Setting up CUDA was cancelled; run it again to resume the download.');
}

function checkDisk(dir: string, needed: number): void {
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  try {
    const s = fs.statfsSync(probe);
    if (s.bavail * s.bsize < needed) throw new EngineError('download-failed', `Setting up CUDA needs about ${formatBytes(needed)} but ${probe} has ${formatBytes(s.bavail * s.bsize)} free; free some space and try again.`);
  } catch (e) {
    if (e instanceof EngineError) throw e;
  }
}

async function sha512Base64Of(file: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha512');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    if (signal?.aborted) throw cancelled();
    h.update(chunk as Buffer);
  }
  return h.digest('base64');
}

function openPackage(file: string): Promise<ZipArchive> {
  const label = path.basename(file);
  return ZipArchive.open(file, (why) => new EngineError('download-failed', `${label} is not a usable package (${why}); download it again.`));
}

/** The package's .nuspec must name the id and version we asked for: a renamed or wrong file is refused. */
async function checkNuspec(zip: ZipArchive, pkg: OrtCudaPackage, label: string): Promise<void> {
  const nuspec = zip.entries.find((e) => !e.name.includes('/') && e.name.toLowerCase().endsWith('.nuspec'));
  if (!nuspec) throw new EngineError('download-failed', `${label} is not a NuGet package (it has no .nuspec).`);
  if (nuspec.size > 1 << 20) throw new EngineError('download-failed', `${label} is not a usable package (${nuspec.name} is unexpectedly large); download it again.`);
  const xml = (await zip.readEntry(nuspec)).toString('utf8');
  const id = /<id>\s*([^<]+?)\s*<\/id>/i.exec(xml)?.[1];
  const version = /<version>\s*([^<]+?)\s*<\/version>/i.exec(xml)?.[1];
  if (id?.toLowerCase() !== pkg.nugetId.toLowerCase() || version?.toLowerCase() !== pkg.nugetVersion.toLowerCase()) {
    throw new EngineError('download-failed', `${label} is ${id ?? 'an unknown package'} ${version ?? ''}, not ${pkg.nugetId} ${pkg.nugetVersion}, which the bundled onnxruntime-node needs.`);
  }
}

/** Unpacks one entry into `dest` (mode 0700), size and CRC checked; returns the sha256 of what was written. */
async function unpackEntry(zip: ZipArchive, entry: ZipMember, dest: string, label: string, signal?: AbortSignal): Promise<string> {
  const sha = createHash('sha256');
  const hash = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sha.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline([await zip.openEntry(entry), hash, fs.createWriteStream(dest, { mode: 0o700 })], { signal });
  } catch (e) {
    fs.rmSync(dest, { force: true });
    if (signal?.aborted) throw new EngineError('cancelled', 'Setting up CUDA was cancelled.');
    if (e instanceof EngineError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new EngineError('download-failed', `The disk is full while unpacking ${entry.name}; free some space and try again.`);
    throw new EngineError('download-failed', `${label} is not a usable package (${entry.name} cannot be unpacked: ${(e as Error).message}); download it again.`);
  }
  return sha.digest('hex');
}

export async function installCudaProvider(req: InstallCudaRequest, ctx: InstallCudaContext): Promise<Omit<InstallCudaResult, 'reloadNeeded'>> {
  const platform = ctx.platform ?? process.platform;
  const arch = ctx.arch ?? process.arch;
  if (platform !== 'linux' || arch !== 'x64') {
    throw new EngineError('bad-input', `CUDA is set up by the extension on Linux x64 only (this is ${platform} ${arch}); elsewhere the engine uses WebGPU or the CPU.`);
  }
  const ortVersion = bundledOrtVersion();
  const pkg = ORT_CUDA_PACKAGES[ortVersion];
  if (!pkg) throw new EngineError('bad-input', `This build does not know which CUDA package matches onnxruntime-node ${ortVersion}; update the extension.`);
  const env = ctx.env ?? process.env;
  const progress = (message: string, fraction?: number) => ctx.progress?.({ message, fraction });
  const root = cudaRuntimeRoot(ctx.storageDir);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const label = `${pkg.nugetId} ${pkg.nugetVersion}`;

  let nupkg: string;
  let verified: InstallCudaResult['verified'];
  let sha512Base64: string;
  let downloaded: string | undefined;
  if (req.from) {
    nupkg = path.resolve(req.from);
    if (!fs.existsSync(nupkg) || !fs.statSync(nupkg).isFile()) throw new EngineError('bad-input', `The package file ${nupkg} does not exist.`);
    progress(`Checking ${path.basename(nupkg)}`);
    sha512Base64 = await sha512Base64Of(nupkg, ctx.signal);
    verified = 'local-file';
  } else {
    const feed = req.feed || NUGET_FEED;
    const proxy = proxySettings(env, { proxy: req.proxy, noProxy: req.noProxy });
    const netOpts = { signal: ctx.signal, proxy, idleMs: ctx.net?.idleMs, tls: ctx.net?.tls };
    progress(`Looking up ${label} on ${new URL(feed).host}`);
    const ref = await resolveNugetPackage(feed, pkg.nugetId, pkg.nugetVersion, netOpts);
    if (!ref.sha512Base64) {
      throw new EngineError('download-failed', `The package feed publishes no SHA-512 for ${label}, so it cannot be verified; download the .nupkg yourself and use --from FILE (or "Install from a package file").`);
    }
    if (ref.size === undefined) throw new EngineError('download-failed', `The package feed does not say how large ${label} is; try again later or use --from FILE.`);
    checkDisk(root, ref.size * 3.2);
    downloaded = path.join(root, 'downloads', `${pkg.nugetId.toLowerCase()}.${pkg.nugetVersion}.nupkg`);
    const meter = new TransferMeter(ref.size);
    let last = 0;
    await downloadFile(
      { url: ref.url, dest: downloaded, size: ref.size, label: path.basename(downloaded), sha512Base64: ref.sha512Base64 },
      {
        signal: ctx.signal,
        proxy,
        idleMs: ctx.net?.idleMs,
        tls: ctx.net?.tls,
        retryDelayMs: ctx.net?.retryDelayMs,
        onBytes: (d, network) => {
          meter.add(d, network);
          const now = Date.now();
          if (now - last > 250) {
            last = now;
            progress(`Downloading the CUDA provider (${label}): ${meter.describe()}`, meter.fraction() * 0.9);
          }
        },
        httpError: (res) => new EngineError('download-failed', `The package feed ${res.url.host} answered HTTP ${res.status} for ${label}; try again later or use --from FILE.`),
      },
    );
    nupkg = downloaded;
    sha512Base64 = ref.sha512Base64;
    verified = 'feed-sha512';
  }

  // the package is read from disk entry by entry: it is hundreds of MB
  const zip = await openPackage(nupkg);
  try {
    await checkNuspec(zip, pkg, path.basename(nupkg));
    const entries = zip.entries;
    const needed = Object.entries(pkg.files).map(([name, inPackage]) => {
      const e = entries.find((x) => x.name === inPackage);
      if (!e) throw new EngineError('download-failed', `${path.basename(nupkg)} has no ${inPackage}; it is not the package onnxruntime-node ${ortVersion} needs.`);
      return { name, entry: e };
    });
    const unpacked = needed.reduce((s, n) => s + n.entry.size, 0);
    const bin = bundledBinDir(platform, arch);
    const copied = [BINDING, ORT_LIBRARY].map((name) => ({ name, from: path.join(bin, name) }));
    for (const c of copied) if (!fs.existsSync(c.from)) throw new EngineError('missing-file', `The bundled onnxruntime-node has no ${c.name} for ${platform} ${arch}; reinstall the extension.`);
    checkDisk(root, unpacked + copied.reduce((s, c) => s + fs.statSync(c.from).size, 0));

    const staging = fs.mkdtempSync(path.join(root, `.staging-${ortVersion}-`));
    try {
      const files: RuntimeManifest['files'] = [];
      let i = 0;
      for (const n of needed) {
        if (ctx.signal?.aborted) throw cancelled();
        progress(`Unpacking ${n.name} (${formatBytes(n.entry.size)})`, 0.9 + (0.08 * i++) / needed.length);
        const dest = path.join(staging, n.name);
        const sha256 = await unpackEntry(zip, n.entry, dest, path.basename(nupkg), ctx.signal);
        const elf = readElfDynamic(dest);
        if (!elf || !elf.is64 || elf.machine !== EM_X86_64) throw new EngineError('download-failed', `${n.name} in ${path.basename(nupkg)} is not a Linux x86-64 library; the package is not the right one.`);
        files.push({ name: n.name, size: n.entry.size, sha256 });
      }
      for (const c of copied) {
        const dest = path.join(staging, c.name);
        fs.copyFileSync(c.from, dest);
        fs.chmodSync(dest, 0o700);
        const h = createHash('sha256');
        for await (const chunk of fs.createReadStream(dest, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
        files.push({ name: c.name, size: fs.statSync(dest).size, sha256: h.digest('hex') });
      }
      const manifest: RuntimeManifest = {
        format: 1,
        ortVersion,
        package: { id: pkg.nugetId, version: pkg.nugetVersion, sha512Base64, source: req.from ? 'file' : 'feed' },
        files,
        installedAt: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(staging, RUNTIME_MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
      if (ctx.signal?.aborted) throw cancelled();
      // swap the whole folder: a running engine keeps the files it mapped, a new one sees a complete set
      const final = cudaRuntimeDir(ctx.storageDir, ortVersion);
      const old = fs.existsSync(final) ? `${final}.old-${process.pid}-${Date.now()}` : undefined;
      if (old) fs.renameSync(final, old);
      fs.renameSync(staging, final);
      if (old) fs.rmSync(old, { recursive: true, force: true });
      if (downloaded) fs.rmSync(downloaded, { force: true });
      const provider = readElfDynamic(path.join(final, 'libonnxruntime_providers_cuda.so'));
      const needs = (provider?.needed ?? []).filter(isCudaLibrary);
      progress(`CUDA provider set up in ${final}`, 1);
      ctx.log?.('info', `CUDA provider libraries of ${label} set up in ${final} (${verified === 'feed-sha512' ? 'SHA-512 checked against the feed' : 'from a local package file'}).`);
      return {
        dir: final,
        ortVersion,
        package: label,
        verified,
        sha512Base64,
        files: files.map((f) => ({ name: f.name, size: f.size })),
        needs,
      };
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } finally {
    zip.close();
  }
}
