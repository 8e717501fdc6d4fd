import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { clampThreads, defaultThreads, machineCores, threadsPerCore } from '../../../src/engine/model/threads';
import { createSession } from '../../../src/engine/model/session';

test('a thread count above the machine\'s cores is lowered to them, with a notice naming the setting', () => {
  assert.deepEqual(clampThreads(10_000, '--threads', 8), { threads: 8, notice: '--threads 10000 is more than this machine\'s 8 CPU cores; using 8.' });
  assert.deepEqual(clampThreads(8, '--threads', 8), { threads: 8 });
  assert.deepEqual(clampThreads(3, 'clinicalModernbert.threads', 8), { threads: 3 });
  assert.deepEqual(clampThreads(0, '--threads', 8), { threads: 0 });
  assert.deepEqual(clampThreads(undefined, 'clinicalModernbert.threads', 8), { threads: 0 });
});

test('a setting that is not a whole number of threads leaves the choice to onnxruntime, with a notice', () => {
  for (const bad of [-4, 2.5, '16', Number.NaN]) {
    const r = clampThreads(bad, 'clinicalModernbert.threads', 8);
    assert.equal(r.threads, 0, String(bad));
    assert.match(r.notice ?? '', /^clinicalModernbert\.threads must be a whole number of threads/);
  }
});

test('createSession never asks onnxruntime for more threads than the machine has', async () => {
  const logs: string[] = [];
  let asked: number | undefined;
  await createSession('m.onnx', {
    provider: 'cpu',
    threads: 10_000,
    log: (_l, m) => logs.push(m),
    create: async (_p, o) => {
      asked = o.intraOpNumThreads;
      return {} as ort.InferenceSession;
    },
  });
  assert.equal(asked, machineCores());
  assert.ok(logs.some((l) => /threads 10000 is more than this machine's \d+ CPU cores/.test(l)), logs.join('\n'));
});

test('cmb --threads 100000 runs on the machine\'s cores and says so on stderr', () => {
  const root = mkdtempSync(join(tmpdir(), 'cmb-threads-'));
  const cli = resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
  const model = join(root, 'm');
  assert.equal(spawnSync(process.execPath, [cli, 'make-test-model', '--arch', 'bert', '--out', model]).status, 0);
  const r = spawnSync(process.execPath, [cli, 'embed', '--model', model, '--threads', '100000'], { input: '{"text":"chest pain"}\n', timeout: 60_000, env: { ...process.env, CMB_STORAGE_DIR: root } });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(r.stderr.toString(), /^cmb: --threads 100000 is more than this machine's \d+ CPU cores; using \d+\.$/m);
  assert.equal(JSON.parse(r.stdout.toString()).embedding.length, 32);
});

test('the default thread count is one per physical core: SMT siblings are counted once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-cpus-'));
  // 4 logical CPUs on 2 cores (0,2 and 1,3 are siblings), one package; cpu4 offline (no topology)
  const siblings = ['0,2', '1,3', '0,2', '1,3'];
  siblings.forEach((s, i) => {
    mkdirSync(join(dir, `cpu${i}`, 'topology'), { recursive: true });
    writeFileSync(join(dir, `cpu${i}`, 'topology', 'thread_siblings_list'), `${s}\n`);
    writeFileSync(join(dir, `cpu${i}`, 'topology', 'physical_package_id'), '0\n');
  });
  mkdirSync(join(dir, 'cpu4'));
  mkdirSync(join(dir, 'cpufreq'));
  assert.equal(threadsPerCore(dir), 2);
  assert.equal(defaultThreads(4, dir), 2);
  assert.equal(defaultThreads(3, dir), 1, 'a process allowed 3 logical CPUs gets one thread per whole core');
  assert.equal(defaultThreads(8, join(dir, 'missing')), 0, 'unknown topology: onnxruntime counts physical cores itself');
  writeFileSync(join(dir, 'cpu2', 'topology', 'thread_siblings_list'), '2\n');
  writeFileSync(join(dir, 'cpu3', 'topology', 'thread_siblings_list'), '3\n');
  writeFileSync(join(dir, 'cpu0', 'topology', 'thread_siblings_list'), '0\n');
  writeFileSync(join(dir, 'cpu1', 'topology', 'thread_siblings_list'), '1\n');
  assert.equal(defaultThreads(4, dir), 4, 'no SMT: every CPU is a core');
  assert.equal(threadsPerCore(join(dir, 'missing')), undefined);
});
