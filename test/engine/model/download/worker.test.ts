import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../../../src/engineClient';
import { EngineError } from '../../../../src/engine/errors';
import { defaultEngineSettings } from '../../../../src/engine/coreProtocol';
import { makeTestModelFolder } from '../../../../src/engine/model/testModelFolder';
import { bundledBinDir } from '../../../../src/engine/model/gpu/cudaPackage';
import { HubServer } from './hubServer';
import { fakeCudaPackage } from '../gpu/fakeNupkg';

// The path VS Code takes: the commands send these requests to the bundled engine worker.
const workerPath = path.resolve(__dirname, '..', '..', '..', '..', 'dist', 'engineWorker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-worker-download-'));
let hub: HubServer;
const files: Record<string, Buffer> = {};

before(async () => {
  hub = await new HubServer().start();
  const src = path.join(tmp, 'src');
  makeTestModelFolder({ arch: 'modernbert', out: src });
  for (const name of fs.readdirSync(src)) files[name] = fs.readFileSync(path.join(src, name));
});
after(async () => {
  await hub.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('through the worker: download with progress, list, load; cancel keeps the partial; a gated repository asks for a token', async () => {
  const storage = path.join(tmp, 'storage');
  const c = new EngineClient(workerPath, { log: () => undefined, crashed: () => undefined }, { storageDir: storage });
  try {
    hub.setRepo('clinical/worker-model', { files });
    const progress: number[] = [];
    const r = await c.request('model.download', { repo: 'clinical/worker-model', endpoint: hub.hubUrl }, { onProgress: (p) => p.fraction !== undefined && progress.push(p.fraction) });
    assert.equal(r.dir, path.join(storage, 'models', 'clinical--worker-model'));
    assert.equal(progress[progress.length - 1], 1);
    assert.deepEqual((await c.request('model.downloaded', {})).map((d) => [d.repo, d.complete]), [['clinical/worker-model', true]]);
    const info = await c.request('model.load', { path: r.dir, settings: { ...defaultEngineSettings, executionProvider: 'auto', cacheDir: path.join(storage, 'onnx-cache') } });
    assert.equal(info.architecture, 'modernbert');
    assert.equal(info.provider, 'cpu');
    assert.ok(info.providerFailures.some((f) => f.provider === 'cuda'), 'auto tried CUDA first and said why not');

    const big = Buffer.alloc(1_500_000, 3);
    hub.setRepo('clinical/worker-slow', { files: { ...files, 'model.safetensors': big } });
    hub.faults = { slow: { path: 'model.safetensors', chunk: 32_768, everyMs: 10 } };
    const controller = new AbortController();
    const partial = path.join(storage, 'models', 'clinical--worker-slow', 'model.safetensors.cmb-partial');
    const watch = setInterval(() => fs.existsSync(partial) && fs.statSync(partial).size > 0 && controller.abort(), 5);
    await assert.rejects(c.request('model.download', { repo: 'clinical/worker-slow', endpoint: hub.hubUrl }, { signal: controller.signal }), (e: unknown) => e instanceof EngineError && e.code === 'cancelled');
    clearInterval(watch);
    hub.faults = {};
    assert.ok(fs.existsSync(partial));
    assert.ok(!fs.existsSync(path.join(storage, 'models', 'clinical--worker-slow', 'model.safetensors')));

    hub.setRepo('clinical/worker-gated', { files, gatedToken: 'hf_secret' });
    await assert.rejects(c.request('model.download', { repo: 'clinical/worker-gated', endpoint: hub.hubUrl }), (e: unknown) => e instanceof EngineError && e.code === 'auth-required');
    const ok = await c.request('model.download', { repo: 'clinical/worker-gated', endpoint: hub.hubUrl, token: 'hf_secret' });
    assert.equal(ok.files, Object.keys(files).length);
  } finally {
    await c.dispose();
  }
});

test('through the worker: CUDA set up from a package file; the running engine says a reload is needed', async (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync(path.join(bundledBinDir(), 'onnxruntime_binding.node'))) return t.skip('CUDA setup is for Linux x64');
  const storage = path.join(tmp, 'gpu-storage');
  const nupkg = path.join(tmp, 'pkg.nupkg');
  fs.writeFileSync(nupkg, fakeCudaPackage());
  const c = new EngineClient(workerPath, { log: () => undefined, crashed: () => undefined }, { storageDir: storage });
  try {
    const before = await c.request('gpu.diagnose', {});
    assert.equal(before.cuda.providerInstalled, false);
    const r = await c.request('gpu.install', { from: nupkg });
    assert.equal(r.reloadNeeded, true, 'the worker runs the bundled onnxruntime already');
    const after = await c.request('gpu.diagnose', {});
    assert.equal(after.cuda.providerInstalled, true);
    assert.equal(after.cuda.reloadNeeded, true);
    assert.match(after.cuda.reason!, /reload the window/);
  } finally {
    await c.dispose();
  }
});
