import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installCudaProvider } from '../../../../src/engine/model/gpu/provision';
import { bundledBinDir, ORT_CUDA_PACKAGES, bundledOrtVersion, ortPackageDir } from '../../../../src/engine/model/gpu/cudaPackage';
import { cudaRuntimeDir, provisionedRuntime, readRuntimeManifest } from '../../../../src/engine/model/gpu/ortRuntime';
import { ZipArchive } from '../../../../src/engine/zipArchive';
import { EngineError } from '../../../../src/engine/errors';
import { CUDA12_NEEDS, fakeCudaPackage, NugetServer } from './fakeNupkg';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-provision-'));
const KEY = 'microsoft.ml.onnxruntime.gpu.linux/1.30.0';
let feed: NugetServer;
const haveBinary = fs.existsSync(path.join(bundledBinDir('linux', 'x64'), 'onnxruntime_binding.node'));

before(async () => {
  feed = await new NugetServer().start();
  feed.packages.set(KEY, fakeCudaPackage());
});
after(() => {
  feed.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const storage = () => fs.mkdtempSync(path.join(tmp, 'storage-'));
const ctx = (storageDir: string, signal?: AbortSignal) => ({ storageDir, signal, platform: 'linux', arch: 'x64', net: { idleMs: 2000, retryDelayMs: 5 } });
const feedUrl = () => `${feed.url}/v3/index.json`;
const rejectsWith = (code: string, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof EngineError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  assert.ok(!e.message.includes('\n'));
  return true;
};

test('the CUDA package table matches what onnxruntime-node\'s own installer fetches', () => {
  const req = createRequire(__filename);
  const meta = req(path.join(ortPackageDir(), 'script', 'install-metadata.js')) as {
    requirements: Record<string, string[]>;
    manifests: Record<string, Record<string, { package: string; path: string }>>;
    packages: Record<string, { name: string; versions: Array<{ feed: string; version: string }> }>;
    feeds: Record<string, { index: string }>;
  };
  const pkg = ORT_CUDA_PACKAGES[bundledOrtVersion()];
  assert.ok(pkg, `no CUDA package for onnxruntime-node ${bundledOrtVersion()}: add it to ORT_CUDA_PACKAGES`);
  assert.deepEqual(meta.requirements['linux/x64'], [pkg.manifest]);
  const manifest = meta.manifests[`linux/x64:${pkg.manifest}`]!;
  for (const [name, inPackage] of Object.entries(pkg.files)) assert.equal(manifest[`./${name}`]?.path, inPackage, name);
  const source = meta.packages[Object.values(manifest)[0]!.package]!;
  assert.equal(source.name, pkg.nugetId);
  assert.equal(source.versions[0]!.version, pkg.nugetVersion);
  assert.equal(meta.feeds[source.versions[0]!.feed]!.index, 'https://api.nuget.org/v3/index.json');
});

test('set up from the feed: verified against its SHA-512, placed with the binding in storage, and picked up', async (t) => {
  if (!haveBinary) return t.skip('no linux-x64 onnxruntime-node binary here');
  const s = storage();
  assert.equal(provisionedRuntime(s, 'linux', 'x64'), undefined);
  const progress: string[] = [];
  const r = await installCudaProvider({ feed: feedUrl() }, { ...ctx(s), progress: (p) => progress.push(p.message) });
  assert.equal(r.dir, cudaRuntimeDir(s));
  assert.equal(r.verified, 'feed-sha512');
  assert.deepEqual(r.needs, CUDA12_NEEDS);
  assert.deepEqual(fs.readdirSync(r.dir).sort(), ['cmb-ort-cuda.json', 'libonnxruntime.so.1', 'libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'onnxruntime_binding.node']);
  assert.deepEqual(fs.readFileSync(path.join(r.dir, 'libonnxruntime.so.1')), fs.readFileSync(path.join(bundledBinDir('linux', 'x64'), 'libonnxruntime.so.1')), 'the bundled runtime, copied');
  assert.equal(provisionedRuntime(s, 'linux', 'x64'), r.dir);
  assert.equal(readRuntimeManifest(r.dir)?.package.source, 'feed');
  assert.ok(progress.some((p) => /Downloading the CUDA provider/.test(p)));
  assert.ok(!fs.existsSync(path.join(s, 'ort-cuda', 'downloads', 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg')), 'the package is removed once unpacked');
  assert.equal(fs.readdirSync(path.join(s, 'ort-cuda')).filter((n) => n.startsWith('.staging')).length, 0);
  // a file of the set missing or cut short: the runtime is not used
  fs.truncateSync(path.join(r.dir, 'libonnxruntime_providers_cuda.so'), 10);
  assert.equal(provisionedRuntime(s, 'linux', 'x64'), undefined);
  // set up again: the folder is replaced whole
  const again = await installCudaProvider({ feed: feedUrl() }, ctx(s));
  assert.equal(provisionedRuntime(s, 'linux', 'x64'), again.dir);
  assert.equal(provisionedRuntime(s, 'darwin', 'arm64'), undefined);
});

test('a dropped download resumes; a hash that does not match refuses the package and places nothing', async (t) => {
  if (!haveBinary) return t.skip('no linux-x64 onnxruntime-node binary here');
  const s = storage();
  feed.drop = { afterBytes: 50_000, times: 2 };
  feed.log.length = 0;
  await installCudaProvider({ feed: feedUrl() }, ctx(s));
  assert.ok(feed.log.some((l) => /nupkg bytes=50000-/.test(l)), feed.log.join('\n'));
  feed.drop = undefined;

  const bad = storage();
  feed.wrongHash = true;
  await assert.rejects(installCudaProvider({ feed: feedUrl() }, ctx(bad)), rejectsWith('download-failed', /did not match its SHA-512 twice, so it was discarded/));
  feed.wrongHash = false;
  assert.equal(provisionedRuntime(bad, 'linux', 'x64'), undefined);
  assert.ok(!fs.existsSync(cudaRuntimeDir(bad)));

  feed.registration = false;
  await assert.rejects(installCudaProvider({ feed: feedUrl() }, ctx(storage())), rejectsWith('download-failed', /publishes no SHA-512 .* --from FILE/));
  feed.registration = true;
  await assert.rejects(installCudaProvider({ feed: `${feed.url}/nothing/index.json` }, ctx(storage())), rejectsWith('download-failed', /not a NuGet v3 feed/));
  feed.packages.delete(KEY);
  await assert.rejects(installCudaProvider({ feed: feedUrl() }, ctx(storage())), rejectsWith('download-failed', /has no Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux 1\.30\.0/));
  feed.packages.set(KEY, fakeCudaPackage());
});

test('offline from a package file (zip64 too); wrong, incomplete or damaged packages are refused with one line', async (t) => {
  if (!haveBinary) return t.skip('no linux-x64 onnxruntime-node binary here');
  const file = (name: string, data: Buffer) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, data);
    return p;
  };
  const z64 = file('zip64.nupkg', fakeCudaPackage({ zip64: true }));
  const z64Archive = await ZipArchive.open(z64, (why) => new EngineError('download-failed', why));
  assert.equal(z64Archive.entries.length, 5);
  z64Archive.close();
  const s = storage();
  const r = await installCudaProvider({ from: z64 }, ctx(s));
  assert.equal(r.verified, 'local-file');
  assert.equal(readRuntimeManifest(r.dir)?.package.source, 'file');

  const native = 'runtimes/linux-x64/native/';
  const cases: Array<[string, Buffer, RegExp]> = [
    ['other.nupkg', fakeCudaPackage({ version: '1.29.0' }), /is Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux 1\.29\.0, not Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux 1\.30\.0/],
    ['incomplete.nupkg', fakeCudaPackage({ without: `${native}libonnxruntime_providers_cuda.so` }), /has no runtimes\/linux-x64\/native\/libonnxruntime_providers_cuda\.so/],
    ['damaged.nupkg', fakeCudaPackage({ corrupt: `${native}libonnxruntime_providers_cuda.so` }), /not a usable package .*libonnxruntime_providers_cuda\.so/],
    ['arm.nupkg', fakeCudaPackage({ replace: { [`${native}libonnxruntime_providers_cuda.so`]: Buffer.from('not a library') } }), /is not a Linux x86-64 library/],
    ['truncated.nupkg', fakeCudaPackage().subarray(0, 3000), /not a usable package \(its directory is missing/],
  ];
  for (const [name, data, re] of cases) {
    const st = storage();
    await assert.rejects(installCudaProvider({ from: file(name, data) }, ctx(st)), rejectsWith('download-failed', re), name);
    assert.equal(provisionedRuntime(st, 'linux', 'x64'), undefined, name);
    assert.deepEqual(fs.readdirSync(path.join(st, 'ort-cuda')), [], `${name}: nothing left behind`);
  }
  await assert.rejects(installCudaProvider({ from: path.join(tmp, 'absent.nupkg') }, ctx(storage())), rejectsWith('bad-input', /does not exist/));
  await assert.rejects(installCudaProvider({ from: z64 }, { ...ctx(storage()), platform: 'darwin', arch: 'arm64' }), rejectsWith('bad-input', /Linux x64 only/));
});

test('cancelling the download keeps the partial package for the next run', async (t) => {
  if (!haveBinary) return t.skip('no linux-x64 onnxruntime-node binary here');
  const s = storage();
  const controller = new AbortController();
  // the first attempt drops after 60 kB; the user cancels while the retry is under way
  feed.drop = { afterBytes: 60_000, times: 1 };
  feed.onPackageRequest = (range) => range && controller.abort();
  const run = installCudaProvider({ feed: feedUrl() }, ctx(s, controller.signal));
  await assert.rejects(run, rejectsWith('cancelled', /cancelled/));
  feed.drop = undefined;
  feed.onPackageRequest = undefined;
  const partial = path.join(s, 'ort-cuda', 'downloads', 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg.cmb-partial');
  assert.equal(fs.statSync(partial).size, 60_000);
  assert.equal(provisionedRuntime(s, 'linux', 'x64'), undefined);
  feed.log.length = 0;
  await installCudaProvider({ feed: feedUrl() }, ctx(s));
  assert.ok(feed.log.some((l) => /nupkg bytes=60000-/.test(l)));
  assert.ok(provisionedRuntime(s, 'linux', 'x64'));
});
