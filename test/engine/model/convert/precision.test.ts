/**
 * The converter's faster variants against its float32 reference graph, with
 * the tiny test checkpoints: int8 (weights per output channel, activations at
 * run time) and float16 keep embeddings within cosine 0.99 / 0.999 and token
 * labels within 1% of float32; the fused graph (onnxruntime's attention,
 * rotary and SkipLayerNormalization kernels) reproduces it to 1e-4; every
 * variant gives each earlier layer (hidden_states.<i>) as float32 for heads
 * on the last k layers; and onnxruntime's optimized model shows which kernels
 * run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { makeTestModel } from '../../../../src/engine/model/testModel';
import { inspectModelFolder, type ModelFolder } from '../../../../src/engine/model/folder';
import { convertCheckpoint, converterVersion, ensureOnnx } from '../../../../src/engine/model/convert/convert';
import { opCounts, readOnnxSummary } from '../../../../src/engine/model/convert/onnxReader';
import type { GraphVariant } from '../../../../src/engine/model/convert/variant';
import { quantizePerOutputChannel } from '../../../../src/engine/model/convert/quantize';
import { fromFloat16Bits, toFloat16Bits } from '../../../../src/engine/model/convert/float16';
import { EngineError } from '../../../../src/engine/errors';
import { sampleIds, scratch, writeStubTokenizer } from './convertedModel';

const variants: Record<string, GraphVariant> = {
  fp32: { precision: 'fp32', fused: false, int8Route: 'contrib' },
  fused: { precision: 'fp32', fused: true, int8Route: 'contrib' },
  fusedSkipNorm: { precision: 'fp32', fused: true, skipLayerNorm: true, int8Route: 'contrib' },
  int8: { precision: 'int8', fused: true, int8Route: 'contrib' },
  int8Standard: { precision: 'int8', fused: true, int8Route: 'standard' },
  int8Plain: { precision: 'int8', fused: false, int8Route: 'contrib' },
  fp16: { precision: 'fp16', fused: false, int8Route: 'contrib' },
};

interface Outputs {
  /** mean-pooled, per passage */
  embeddings: Float32Array[];
  /** argmax label per real token, all passages in order */
  labels: number[];
  /** every real token's hidden state, flattened */
  hidden: number[];
  /** the same for each earlier layer's output (hidden_states.<i>), which heads on the last k layers read */
  layers: Map<string, number[]>;
}

/** 200 passages of 6 to 60 tokens, as [CLS] ids [SEP] */
const passages = Array.from({ length: 200 }, (_, i) => [2, ...sampleIds(4 + ((i * 37) % 55), i), 3]);

async function runAll(onnxPath: string, hidden: number): Promise<Outputs> {
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  const out: Outputs = { embeddings: [], labels: [], hidden: [], layers: new Map() };
  try {
    for (let start = 0; start < passages.length; start += 8) {
      const batch = passages.slice(start, start + 8);
      const S = Math.max(...batch.map((p) => p.length));
      const ids = new BigInt64Array(batch.length * S);
      const mask = new BigInt64Array(batch.length * S);
      batch.forEach((p, b) => p.forEach((id, t) => {
        ids[b * S + t] = BigInt(id);
        mask[b * S + t] = 1n;
      }));
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch.length, S]), attention_mask: new ort.Tensor('int64', mask, [batch.length, S]) };
      if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = new ort.Tensor('int64', new BigInt64Array(batch.length * S), [batch.length, S]);
      const r = await session.run(feeds);
      const h = r['last_hidden_state']!;
      assert.equal(h.type, 'float32', 'outputs are float32 in every variant');
      const hd = h.data as Float32Array;
      const logits = r['logits']!.data as Float32Array;
      const L = r['logits']!.dims[2]!;
      for (const name of session.outputNames.filter((n) => n.startsWith('hidden_states.'))) {
        const t = r[name]!;
        assert.equal(t.type, 'float32', `${name} is float32 in every variant`);
        const values = out.layers.get(name) ?? [];
        batch.forEach((p, b) => values.push(...(t.data as Float32Array).subarray(b * S * hidden, (b * S + p.length) * hidden)));
        out.layers.set(name, values);
      }
      batch.forEach((p, b) => {
        const e = new Float32Array(hidden);
        for (let t = 0; t < p.length; t++) {
          for (let k = 0; k < hidden; k++) {
            const v = hd[(b * S + t) * hidden + k]!;
            e[k] += v / p.length;
            out.hidden.push(v);
          }
          const row = logits.subarray((b * S + t) * L, (b * S + t + 1) * L);
          out.labels.push(row.indexOf(Math.max(...row)));
        }
        out.embeddings.push(e);
      });
    }
  } finally {
    await session.release();
  }
  return out;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

function cosines(a: Outputs, b: Outputs): { mean: number; min: number } {
  const c = a.embeddings.map((e, i) => cosine(e, b.embeddings[i]!));
  return { mean: c.reduce((s, x) => s + x, 0) / c.length, min: Math.min(...c) };
}

/** every earlier layer's output is there and each token's vector keeps cosine >= min with the float32 graph's */
function assertLayersNear(a: Outputs, b: Outputs, hidden: number, min: number, name: string): void {
  assert.deepEqual([...b.layers.keys()], [...a.layers.keys()], `${name} gives every hidden_states output`);
  assert.ok(a.layers.size > 0);
  for (const [layer, ref] of a.layers) {
    const got = b.layers.get(layer)!;
    let worst = 1;
    for (let t = 0; t < ref.length; t += hidden) {
      worst = Math.min(worst, cosine(Float32Array.from(ref.slice(t, t + hidden)), Float32Array.from(got.slice(t, t + hidden))));
    }
    assert.ok(worst >= min, `${name} ${layer}: a token's cosine to fp32 is ${worst}`);
  }
}

function agreement(a: Outputs, b: Outputs): number {
  return a.labels.filter((l, i) => l === b.labels[i]).length / a.labels.length;
}

/** onnxruntime's optimized graph of a file: the kernels that actually run */
async function optimizedOps(onnxPath: string): Promise<Record<string, number>> {
  const optimized = `${onnxPath}.optimized.onnx`;
  const s = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', optimizedModelFilePath: optimized, logSeverityLevel: 3 });
  await s.release();
  return opCounts(readOnnxSummary(optimized).nodes);
}

function tinyModel(arch: 'bert' | 'modernbert', name: string): ModelFolder {
  const out = join(scratch, `precision-${arch}-${name}`);
  makeTestModel({ arch, out, head: 'token', std: 0.1, randomNorms: true });
  writeStubTokenizer(out);
  return inspectModelFolder(out);
}

for (const arch of ['bert', 'modernbert'] as const) {
  const folder = tinyModel(arch, 'all');
  const H = folder.config.hiddenSize;
  const results = new Map<string, Outputs>();
  const files = new Map<string, string>();
  const outputsOf = async (name: string): Promise<Outputs> => {
    let r = results.get(name);
    if (!r) {
      const path = join(folder.dir, 'variants', `${name}.onnx`);
      mkdirSync(join(folder.dir, 'variants'), { recursive: true });
      convertCheckpoint(folder, path, { variant: variants[name]! });
      files.set(name, path);
      r = await runAll(path, H);
      results.set(name, r);
    }
    return r;
  };

  for (const name of ['fused', 'fusedSkipNorm']) {
    test(`${arch}: the ${name} graph reproduces the float32 reference within 1e-4 over 200 passages`, async () => {
      const [a, b] = [await outputsOf('fp32'), await outputsOf(name)];
      const worst = a.hidden.reduce((m, v, i) => Math.max(m, Math.abs(v - b.hidden[i]!)), 0);
      assert.ok(worst <= 1e-4, `${name} differs by ${worst}`);
      assert.equal(agreement(a, b), 1);
      // each earlier layer's output too (ModernBERT: the residual sum, before the next layer's norm)
      assert.deepEqual([...b.layers.keys()], [...a.layers.keys()]);
      assert.equal(a.layers.size, folder.config.numHiddenLayers - 1);
      for (const [layer, ref] of a.layers) {
        const got = b.layers.get(layer)!;
        const d = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
        assert.ok(d <= 1e-4, `${name} ${layer} differs by ${d}`);
      }
    });
  }

  for (const name of ['int8', 'int8Standard', 'int8Plain'] as const) {
    test(`${arch}: ${name} embeddings keep cosine >= 0.99 (mean and min over 200 passages) and token labels agree >= 99%`, async (t) => {
      const [a, b] = [await outputsOf('fp32'), await outputsOf(name)];
      const c = cosines(a, b);
      const agree = agreement(a, b);
      t.diagnostic(`cosine mean ${c.mean.toFixed(5)} min ${c.min.toFixed(5)}, label agreement ${(agree * 100).toFixed(2)}%`);
      assert.ok(c.mean >= 0.99 && c.min >= 0.99, `int8 cosine mean ${c.mean}, min ${c.min}`);
      assert.ok(agree >= 0.99, `int8 label agreement ${agree}`);
      assertLayersNear(a, b, H, 0.99, name);
    });
  }

  test(`${arch}: fp16 embeddings keep cosine >= 0.999 (mean and min over 200 passages) and token labels agree >= 99%`, async (t) => {
    const [a, b] = [await outputsOf('fp32'), await outputsOf('fp16')];
    const c = cosines(a, b);
    const agree = agreement(a, b);
    t.diagnostic(`cosine mean ${c.mean.toFixed(6)} min ${c.min.toFixed(6)}, label agreement ${(agree * 100).toFixed(2)}%`);
    assert.ok(c.mean >= 0.999 && c.min >= 0.999, `fp16 cosine mean ${c.mean}, min ${c.min}`);
    assert.ok(agree >= 0.99, `fp16 label agreement ${agree}`);
    assertLayersNear(a, b, H, 0.999, 'fp16');
  });

  test(`${arch}: onnxruntime runs the fused kernels and int8 matmuls the variants are written for`, async () => {
    for (const name of ['fused', 'fusedSkipNorm', 'int8', 'int8Standard']) await outputsOf(name);
    const fused = await optimizedOps(files.get('fused')!);
    assert.ok(fused['com.microsoft.MultiHeadAttention']! > 0, JSON.stringify(fused));
    assert.ok(!fused['Softmax'], 'no plain softmax left in the fused encoder');
    assert.ok(!fused['com.microsoft.SkipLayerNormalization'], 'SkipLayerNormalization only when asked for (slower on the CPU)');
    if (arch === 'modernbert') assert.ok(fused['com.microsoft.RotaryEmbedding']! > 0 && fused['com.microsoft.Gelu']! > 0, 'rotary embeddings and GELU fused');
    else assert.ok(fused['com.microsoft.BiasGelu']! > 0, 'bias + GELU fused');
    const skipNorm = await optimizedOps(files.get('fusedSkipNorm')!);
    // two per layer: after attention and after the feed-forward layer (ModernBERT: the next layer's norm, then the final one)
    assert.equal(skipNorm['com.microsoft.SkipLayerNormalization'], 2 * folder.config.numHiddenLayers, JSON.stringify(skipNorm));
    const layers = folder.config.numHiddenLayers;
    for (const name of ['int8', 'int8Standard']) {
      const ops = await optimizedOps(files.get(name)!);
      // four linear layers per encoder layer (query/key/value joined), the head's classifier stays float
      assert.equal(ops['com.microsoft.DynamicQuantizeMatMul'], 4 * layers, `${name}: ${JSON.stringify(ops)}`);
      assert.ok(!ops['MatMulInteger'], `${name}: onnxruntime fused the standard int8 ops into DynamicQuantizeMatMul`);
    }
    const written = opCounts(readOnnxSummary(files.get('int8Standard')!).nodes);
    assert.equal(written['MatMulInteger'], 4 * layers, 'the standard route writes MatMulInteger, not the contrib op');
    assert.ok(!written['com.microsoft.DynamicQuantizeMatMul']);
  });

  test(`${arch}: the fp16 file stores its weights as float16 and keeps masks and rotary tables in float32`, async () => {
    await outputsOf('fp16');
    const s = readOnnxSummary(files.get('fp16')!);
    const types = [...s.initializerTypes.entries()];
    const floats16 = types.filter(([, t]) => t === 10).map(([n]) => n);
    const floats32 = types.filter(([, t]) => t === 1).map(([n]) => n);
    assert.ok(floats16.some((n) => n.includes('embeddings')), 'embedding tables in float16');
    assert.ok(floats32.some((n) => n.includes('masked')), 'the mask value stays float32 (float16 would make it -inf)');
    // the classifier head runs in float32
    assert.ok(floats32.some((n) => n.includes('classifier')));
    assert.equal(s.metadata['precision'], 'fp16');
  });
}

test('int8 weights dequantize to within half a quantization step of the float32 weights', () => {
  const w = Float32Array.from({ length: 32 * 16 }, (_, i) => Math.sin(i) * 0.05);
  const q = quantizePerOutputChannel(w, 32, 16);
  let maxErr = 0;
  for (let o = 0; o < 32; o++) for (let i = 0; i < 16; i++) maxErr = Math.max(maxErr, Math.abs(q.data[i * 32 + o]! * q.scales[o]! - w[o * 16 + i]!));
  assert.ok(maxErr <= Math.max(...q.scales) / 2 + 1e-9, `dequantized weights within half a step (${maxErr})`);
});

test('int8 weights: symmetric per output channel, the largest magnitude maps to ±127, transposed to [in, out], zero rows safe', () => {
  // rows (output channels): [0.5, -1, 0.25], [0, 0, 0], [2, 1, -2]
  const w = Float32Array.from([0.5, -1, 0.25, 0, 0, 0, 2, 1, -2]);
  const q = quantizePerOutputChannel(w, 3, 3);
  assert.deepEqual([...q.scales], [Math.fround(1 / 127), 1, Math.fround(2 / 127)]);
  // column o of the [in, out] result is output channel o
  assert.deepEqual([q.data[0], q.data[3], q.data[6]], [64, -127, 32]);
  assert.deepEqual([q.data[1], q.data[4], q.data[7]], [0, 0, 0]);
  assert.deepEqual([q.data[2], q.data[5], q.data[8]], [127, 64, -127]);
});

test('float16 conversion rounds to nearest even, keeps subnormals and overflows to infinity', () => {
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
  assert.equal(toFloat16Bits(65504), 0x7bff);
  assert.equal(toFloat16Bits(65520), 0x7c00, 'halfway past the largest half rounds to infinity');
  assert.equal(toFloat16Bits(2 ** -24), 1, 'smallest subnormal');
  assert.equal(toFloat16Bits(2 ** -26), 0, 'below half the smallest subnormal');
  assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00, 'a tie rounds to the even mantissa');
  assert.equal(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02, 'the other tie rounds up to even');
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
  for (const v of [0.1, -3.14159, 1e-5, 1234.5]) assert.ok(Math.abs(fromFloat16Bits(toFloat16Bits(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, `${v}`);
});

test('fp16 refuses a checkpoint with a weight beyond float16 range, naming the weight and what to use instead', () => {
  const out = join(scratch, 'precision-huge-weights');
  // weights drawn with std 1e5: many lie past float16's 65504
  makeTestModel({ arch: 'bert', out, head: 'token', std: 1e5 });
  writeStubTokenizer(out);
  const folder = inspectModelFolder(out);
  convertCheckpoint(folder, join(out, 'fp32.onnx'), { variant: variants['fp32']! });
  assert.throws(
    () => convertCheckpoint(folder, join(out, 'fp16.onnx'), { variant: variants['fp16']! }),
    (e: unknown) => e instanceof EngineError && e.code === 'unsupported-model' && /beyond float16's range/.test(e.message) && /fp32 or int8/.test(e.message),
  );
});

test('each precision is its own file beside the checkpoint (optimum / transformers.js names) with its own stamp', () => {
  const folder = tinyModel('modernbert', 'files');
  const q = ensureOnnx(folder, { precision: 'int8' });
  assert.equal(q.onnxPath, join(folder.dir, 'onnx', 'model_quantized.onnx'));
  assert.equal(q.converted, true);
  const h = ensureOnnx(folder, { precision: 'fp16' });
  assert.equal(h.onnxPath, join(folder.dir, 'onnx', 'model_fp16.onnx'));
  assert.equal(readOnnxSummary(q.onnxPath).metadata['precision'], 'int8');
  assert.ok(existsSync(`${q.onnxPath}.source.json`) && existsSync(`${h.onnxPath}.source.json`));
  assert.equal(ensureOnnx(folder, { precision: 'int8' }).converted, false, 'a current int8 file is reused');
  // a stamp from another int8 graph (an earlier converter's variant) makes the file stale
  const stampFile = `${q.onnxPath}.source.json`;
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, unknown>;
  assert.equal(stamp['graph'], 'int8, fused');
  writeFileSync(stampFile, JSON.stringify({ ...stamp, graph: 'int8, fused with SkipLayerNormalization' }));
  assert.equal(ensureOnnx(folder, { precision: 'int8' }).converted, true, 'a file of another int8 graph is converted again');
  assert.equal(existsSync(join(folder.dir, 'onnx', 'model.onnx')), false, 'only the variants asked for are made');
});

test('a quantized file shipped with the model is used as is; a folder with only model.onnx falls back to fp32 and says why', () => {
  const folder = tinyModel('bert', 'shipped');
  const fp32 = ensureOnnx(folder).onnxPath;
  // a folder as optimum exports it: ONNX files only, no checkpoint
  const shipped = join(scratch, 'shipped-onnx-only');
  mkdirSync(join(shipped, 'onnx'), { recursive: true });
  writeFileSync(join(shipped, 'config.json'), JSON.stringify(folder.config.raw));
  writeStubTokenizer(shipped);
  writeFileSync(join(shipped, 'onnx', 'model.onnx'), readFileSync(fp32));
  const onlyFp32 = ensureOnnx(inspectModelFolder(shipped), { precision: 'int8' });
  assert.equal(onlyFp32.precision, 'fp32');
  assert.equal(onlyFp32.onnxPath, join(shipped, 'onnx', 'model.onnx'));
  assert.match(onlyFp32.fallback ?? '', /no onnx\/model_quantized.onnx and no model.safetensors/);
  writeFileSync(join(shipped, 'onnx', 'model_quantized.onnx'), readFileSync(fp32));
  const q = ensureOnnx(inspectModelFolder(shipped), { precision: 'int8' });
  assert.deepEqual(q, { onnxPath: join(shipped, 'onnx', 'model_quantized.onnx'), converted: false, precision: 'int8' });
});

test('the int8 file the engine writes: fused attention for ModernBERT, plain attention for BERT (what measured faster for each)', () => {
  const bert = ensureOnnx(tinyModel('bert', 'product'), { precision: 'int8' });
  const modern = ensureOnnx(tinyModel('modernbert', 'product'), { precision: 'int8' });
  const ops = (path: string) => opCounts(readOnnxSummary(path).nodes);
  assert.ok(!ops(bert.onnxPath)['com.microsoft.MultiHeadAttention'] && ops(bert.onnxPath)['com.microsoft.DynamicQuantizeMatMul']! > 0);
  assert.ok(ops(modern.onnxPath)['com.microsoft.MultiHeadAttention']! > 0 && ops(modern.onnxPath)['com.microsoft.RotaryEmbedding']! > 0);
  assert.equal((JSON.parse(readFileSync(`${bert.onnxPath}.source.json`, 'utf8')) as { graph: string }).graph, 'int8');
});

test('int8 and fp16 files stamped by converter version 1 (no hidden_states outputs) are converted again; a version 2 float32 stamp is still current', async () => {
  const folder = tinyModel('bert', 'versions');
  const fp32 = ensureOnnx(folder);
  const stampOf = (path: string) => JSON.parse(readFileSync(`${path}.source.json`, 'utf8')) as Record<string, unknown>;
  // float32 stamps carry no precision or graph, as main's version 2 wrote them
  assert.equal(stampOf(fp32.onnxPath)['converterVersion'], converterVersion);
  assert.equal(converterVersion, '2');
  assert.deepEqual(Object.keys(stampOf(fp32.onnxPath)).filter((k) => k === 'precision' || k === 'graph'), []);
  assert.equal(ensureOnnx(folder).converted, false);
  for (const precision of ['int8', 'fp16'] as const) {
    const made = ensureOnnx(folder, { precision });
    const session = await ort.InferenceSession.create(made.onnxPath, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    assert.ok(session.outputNames.includes('hidden_states.1'), `${precision} has hidden_states outputs`);
    await session.release();
    writeFileSync(`${made.onnxPath}.source.json`, JSON.stringify({ ...stampOf(made.onnxPath), converterVersion: '1' }));
    assert.equal(ensureOnnx(folder, { precision }).converted, true, `a version 1 ${precision} file is converted again`);
  }
});
