import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeCudaPackage } from '../engine/model/gpu/fakeNupkg';
import { fakeSharedLibrary } from '../engine/model/gpu/fakeElf';
import { bundledBinDir } from '../../src/engine/model/gpu/cudaPackage';
import type { GpuReport, InstallCudaResult } from '../../src/engine/model/gpu/protocol';

// The CLI as shipped, with the CUDA provider set up from a package of the real layout (fake libraries inside).
const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-cli-gpu-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const storage = path.join(tmp, 'storage');

function cmb(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, CMB_STORAGE_DIR: storage, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('cmb gpu --json prints the diagnosis in the documented shape; bad options exit 2 with one line', () => {
  const r = cmb(['gpu', '--json']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as GpuReport;
  assert.equal(typeof report.cuda.usable, 'boolean');
  assert.ok(Array.isArray(report.cuda.missing));
  assert.ok(report.cuda.checks.every((c) => c.found || c.fix), 'every missing piece has a fix');
  assert.equal(typeof report.webgpu.usable, 'boolean');
  assert.equal(report.cpu.usable, true);
  const text = cmb(['gpu']);
  assert.equal(text.code, 0);
  assert.match(text.out, /^CUDA {4}/m);
  assert.match(text.out, /^WebGPU {2}/m);
  assert.match(text.out, /^CPU {5}usable: \d+ cores/m);
  for (const args of [['gpu', '--frobnicate'], ['gpu', '--from', 'x.nupkg'], ['gpu', 'extra'], ['gpu', '--install', '--from']]) {
    const bad = cmb(args);
    assert.equal(bad.code, 2, args.join(' '));
    assert.equal(bad.err.trim().split('\n').length, 1, bad.err);
  }
});

test('cmb gpu --install --from FILE sets CUDA up in storage; a fresh process loads that runtime, and a failing CUDA falls back to the CPU', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync(path.join(bundledBinDir(), 'onnxruntime_binding.node'))) return t.skip('CUDA setup is for Linux x64');
  const nupkg = path.join(tmp, 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg');
  fs.writeFileSync(nupkg, fakeCudaPackage());
  const r = cmb(['gpu', '--install', '--from', nupkg, '--json']);
  // set up, but not usable on a machine without an NVIDIA driver: exit 1 and one line saying why
  const report = JSON.parse(r.out) as GpuReport & { install: InstallCudaResult };
  assert.equal(report.install.verified, 'local-file');
  assert.equal(report.cuda.providerInstalled, true);
  assert.equal(report.cuda.loadedFrom, report.install.dir, 'the fresh process runs the runtime from storage');
  if (!report.cuda.usable) {
    assert.equal(r.code, 1);
    assert.match(r.err.trim().split('\n').pop()!, /^cmb gpu: the CUDA provider is set up, but CUDA is not usable yet: /);
  }

  // a driver "present" (a fake libcuda.so.1): onnxruntime really tries the set-up provider, which fails to load
  const model = path.join(tmp, 'model');
  assert.equal(cmb(['make-test-model', '--arch', 'bert', '--out', model]).code, 0);
  const lib = path.join(tmp, 'fake-driver');
  fs.mkdirSync(lib, { recursive: true });
  fs.writeFileSync(path.join(lib, 'libcuda.so.1'), fakeSharedLibrary({ soname: 'libcuda.so.1' }));
  const auto = cmb(['info', '--model', model], { LD_LIBRARY_PATH: lib });
  assert.equal(auto.code, 0, auto.err);
  const info = JSON.parse(auto.out) as { provider: string; providerFailures: Array<{ provider: string; reason: string }> };
  assert.equal(info.provider, 'cpu');
  assert.equal(info.providerFailures[0]!.provider, 'cuda');
  assert.match(info.providerFailures[0]!.reason, /Failed to load shared library|cannot open shared object|providers/i);
  assert.doesNotMatch(info.providerFailures[0]!.reason, /\n/);
  const forced = cmb(['info', '--model', model, '--provider', 'cuda'], { LD_LIBRARY_PATH: lib });
  assert.equal(forced.code, 1);
  assert.match(forced.err, /^cmb info: The model could not be loaded on cuda \(.*\)\. Set clinicalModernbert\.executionProvider to "auto" or "cpu"\.\n$/);
  // the CPU still runs through the copied runtime
  const emb = cmb(['embed', '--model', model, '--provider', 'cpu'], {});
  assert.equal(emb.code, 0, emb.err);
});
