/**
 * Which variant runs where: auto takes int8 on the CPU and float16 on GPU
 * providers; a GPU provider that cannot load costs no conversion; a folder
 * that ships its own ONNX file keeps it under auto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { choosePrecision } from '../../../src/engine/model/precisionChoice';
import { createSession } from '../../../src/engine/model/session';
import { loadModel } from '../../../src/engine/model/loadModel';
import { defaultEngineSettings, type ExecutionProviderName } from '../../../src/engine/coreProtocol';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';

const root = mkdtempSync(join(tmpdir(), 'cmb-precision-'));
const cpu = { ...defaultEngineSettings, executionProvider: 'cpu' as const };

test('auto: int8 on the CPU, fp16 on GPU providers; explicit settings are followed, with a word where they run slowly', () => {
  assert.equal(choosePrecision('auto', 'cpu').precision, 'int8');
  assert.equal(choosePrecision('auto', 'cuda').precision, 'fp16');
  assert.equal(choosePrecision('auto', 'webgpu').precision, 'fp16');
  assert.deepEqual(choosePrecision('fp32', 'cuda'), { precision: 'fp32', reason: 'set to fp32' });
  assert.match(choosePrecision('fp16', 'cpu').reason, /slower than fp32 or int8/);
  assert.match(choosePrecision('int8', 'cuda').reason, /slower than fp16/);
});

test('a GPU provider that does not load is never given a converted variant: the CPU gets its own', async () => {
  const asked: ExecutionProviderName[] = [];
  const tried: string[] = [];
  const r = await createSession((p) => {
    asked.push(p);
    return `model-for-${p}.onnx`;
  }, {
    provider: 'auto',
    threads: 0,
    create: async (model, o) => {
      const provider = String(o.executionProviders?.[0]);
      tried.push(`${provider}:${typeof model === 'string' ? model : 'one-node model'}`);
      if (provider !== 'cpu') throw new Error(`${provider} provider library not found`);
      return { release: async () => undefined } as unknown as ort.InferenceSession;
    },
  });
  assert.deepEqual(asked, ['cpu'], 'no variant made for cuda or webgpu');
  assert.equal(r.onnxPath, 'model-for-cpu.onnx');
  assert.deepEqual(r.failures.map((f) => f.provider), ['cuda', 'webgpu']);
  assert.ok(tried.includes('cuda:one-node model'));
});

test('loadModel runs the chosen variant and reports it: auto -> int8 on the CPU, fp32 on request', async () => {
  const dir = join(root, 'bert');
  makeTestModelFolder({ arch: 'bert', head: 'token', out: dir });
  const auto = await loadModel(dir, cpu);
  assert.equal(auto.info.precision, 'int8');
  assert.match(auto.info.precisionReason ?? '', /^auto: int8 on the CPU/);
  assert.equal(auto.info.batchTokens, defaultEngineSettings.batchTokens);
  await auto.dispose();
  const fp32 = await loadModel(dir, { ...cpu, precision: 'fp32' });
  assert.equal(fp32.info.precision, 'fp32');
  assert.equal(fp32.info.onnxPath, join(dir, 'onnx', 'model.onnx'));
  // both variants give the same labels for a note's tokens (int8 within its error)
  const windows = fp32.windows('Pt denies chest pain; metformin 500 mg BID.').map((w) => w.ids);
  const a = await fp32.run(windows, ['last_hidden_state']);
  const int8 = await loadModel(dir, { ...cpu, precision: 'int8' });
  const b = await int8.run(windows, ['last_hidden_state']);
  const ha = a[0]!['last_hidden_state']!.data;
  const hb = b[0]!['last_hidden_state']!.data;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < ha.length; i++) {
    dot += ha[i]! * hb[i]!;
    na += ha[i]! ** 2;
    nb += hb[i]! ** 2;
  }
  assert.ok(dot / Math.sqrt(na * nb) > 0.99);
  await fp32.dispose();
  await int8.dispose();
});

test('auto keeps a folder\'s own ONNX file; an explicit int8 converts its safetensors', async () => {
  const source = join(root, 'source');
  makeTestModelFolder({ arch: 'bert', out: source });
  const fp32 = await loadModel(source, { ...cpu, precision: 'fp32' });
  await fp32.dispose();
  const dir = join(root, 'ships-onnx');
  makeTestModelFolder({ arch: 'bert', out: dir });
  mkdirSync(join(dir, 'onnx'));
  copyFileSync(fp32.info.onnxPath, join(dir, 'onnx', 'model.onnx')); // no stamp: the folder's own file
  const auto = await loadModel(dir, cpu);
  assert.equal(auto.info.precision, 'fp32');
  assert.match(auto.info.precisionReason ?? '', /ships its own ONNX file, which auto runs as given \(set the precision to int8/);
  await auto.dispose();
  assert.equal(existsSync(join(dir, 'onnx', 'model_quantized.onnx')), false);
  const int8 = await loadModel(dir, { ...cpu, precision: 'int8' });
  assert.equal(int8.info.precision, 'int8');
  assert.equal(int8.info.onnxPath, join(dir, 'onnx', 'model_quantized.onnx'));
  await int8.dispose();
});
