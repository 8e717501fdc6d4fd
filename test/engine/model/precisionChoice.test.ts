/**
 * Which variant runs where: auto takes int8 on the CPU and float16 on GPU
 * providers; a GPU provider that cannot load costs no conversion; a folder
 * that ships its own ONNX file keeps it under auto.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import '../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { choosePrecision } from '../../../src/engine/model/precisionChoice';
import { createSession } from '../../../src/engine/model/session';
import { loadModel } from '../../../src/engine/model/loadModel';
import { defaultEngineSettings, type ExecutionProviderName } from '../../../src/engine/coreProtocol';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { inspectModelFolder } from '../../../src/engine/model/folder';
import { writeHeadFolder } from '../../../src/engine/model/headFolder';
import { SeededRandom } from '../../../src/engine/seededRandom';

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

test('a GPU that loads the fp16 file but gives NaN on its first run falls back to the CPU, which runs its own int8 file', async () => {
  const dir = join(root, 'gpu-nan');
  makeTestModelFolder({ arch: 'modernbert', head: 'token', out: dir });
  const opened: string[] = [];
  const r = await loadModel(dir, { ...defaultEngineSettings, executionProvider: 'auto' }, {
    createSession: async (model, o) => {
      const provider = String(o.executionProviders?.[0]);
      const file = typeof model === 'string' ? basename(model) : 'one-node model';
      opened.push(`${provider}:${file}`);
      if (provider === 'webgpu') throw new Error('no WebGPU adapter');
      // the GPU stands in as a CPU session of the same file whose outputs come back NaN (float16 overflow on a real card)
      const real = await ort.InferenceSession.create(model as string, { ...o, executionProviders: ['cpu'] });
      if (provider === 'cpu' || typeof model !== 'string') return real;
      return {
        inputNames: real.inputNames,
        outputNames: real.outputNames,
        run: async (feeds: Record<string, ort.Tensor>, names?: readonly string[]) => {
          const out = await real.run(feeds, names as string[]);
          for (const t of Object.values(out)) (t.data as Float32Array).fill(NaN);
          return out;
        },
        release: () => real.release(),
      } as unknown as ort.InferenceSession;
    },
  });
  try {
    assert.deepEqual(opened, ['cuda:one-node model', 'cuda:model_fp16.onnx', 'webgpu:one-node model', 'cpu:model_quantized.onnx']);
    assert.equal(r.info.provider, 'cpu');
    assert.equal(r.info.precision, 'int8');
    assert.equal(r.info.onnxPath, join(dir, 'onnx', 'model_quantized.onnx'));
    assert.match(r.info.precisionReason ?? '', /^auto: int8 on the CPU/);
    assert.deepEqual(r.info.providerFailures.map((f) => f.provider), ['cuda', 'webgpu']);
    assert.match(r.info.providerFailures[0]!.reason, /^it loaded but failed on its first run: The model gives NaN/);
    const out = await r.run(r.windows('Pt denies chest pain.').map((w) => w.ids), ['last_hidden_state']);
    assert.ok([...out[0]!['last_hidden_state']!.data].every(Number.isFinite));
  } finally {
    await r.dispose();
  }
});

test('a head on the last 2 layers runs on the int8 and fp16 variants: their hidden_states outputs are float32 and near fp32\'s', async () => {
  const dir = join(root, 'two-layer-head');
  makeTestModelFolder({ arch: 'modernbert', out: dir });
  const encoder = inspectModelFolder(dir);
  const H = encoder.config.hiddenSize;
  const labels = ['O', 'B-problem', 'I-problem', 'B-test', 'I-test'];
  const rng = new SeededRandom(7);
  writeHeadFolder({
    encoder, name: 'two-layers', task: 'token', labels, architecture: 'linear', layers: 2, createdBy: 'test: random 2-layer head',
    tensors: [
      { name: 'classifier.weight', shape: [labels.length, 2 * H], data: Float32Array.from({ length: labels.length * 2 * H }, () => rng.uniform() - 0.5) },
      { name: 'classifier.bias', shape: [labels.length], data: new Float32Array(labels.length) },
    ],
  });
  const logitsOf = async (precision: 'fp32' | 'int8' | 'fp16') => {
    const m = await loadModel(dir, { ...cpu, precision });
    try {
      assert.equal(m.info.precision, precision);
      assert.ok(m.info.outputs.includes(`hidden_states.${encoder.config.numHiddenLayers - 1}`), `${precision}: ${m.info.outputs.join(', ')}`);
      const windows = m.windows('Pt denies chest pain; troponin negative. Hx of CHF.').map((w) => w.ids);
      return (await m.run(windows, ['logits'], undefined, { head: 'two-layers' }))[0]!['logits']!;
    } finally {
      await m.dispose();
    }
  };
  const reference = await logitsOf('fp32');
  for (const precision of ['int8', 'fp16'] as const) {
    const got = await logitsOf(precision);
    assert.deepEqual(got.dims, reference.dims);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < got.data.length; i++) {
      dot += got.data[i]! * reference.data[i]!;
      na += got.data[i]! ** 2;
      nb += reference.data[i]! ** 2;
    }
    assert.ok(dot / Math.sqrt(na * nb) > 0.99, `${precision}: logits cosine ${dot / Math.sqrt(na * nb)}`);
  }
});
