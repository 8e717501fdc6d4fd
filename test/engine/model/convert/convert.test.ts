import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readSafetensors, tensorAsFloat32, writeSafetensors } from '../../../../src/engine/model/safetensors';
import { join } from 'node:path';
import '../../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { EngineError } from '../../../../src/engine/errors';
import { convertCheckpoint, ensureOnnx, onnxPathFor } from '../../../../src/engine/model/convert/convert';
import { inspectModelFolder } from '../../../../src/engine/model/folder';
import { makeTestModel } from '../../../../src/engine/model/testModel';
import { scratch, writeStubTokenizer } from './convertedModel';

let n = 0;
function tinyFolder(arch: 'bert' | 'modernbert' = 'bert', head?: 'mlm') {
  const dir = join(scratch, `ensure-${n++}`);
  makeTestModel({ arch, head, out: dir });
  writeStubTokenizer(dir);
  return inspectModelFolder(dir);
}

test('without a cache dir the ONNX file goes beside the checkpoint, as optimum lays it out', () => {
  const f = tinyFolder();
  assert.equal(onnxPathFor(f, ''), join(f.dir, 'onnx', 'model.onnx'));
  const r = ensureOnnx(f);
  assert.deepEqual(r, { onnxPath: join(f.dir, 'onnx', 'model.onnx'), converted: true, precision: 'fp32' });
  assert.equal(inspectModelFolder(f.dir).onnxPath, r.onnxPath);
});

test('a current conversion is reused; a changed checkpoint is converted again', () => {
  const f = tinyFolder();
  assert.equal(ensureOnnx(f).converted, true);
  const again = inspectModelFolder(f.dir); // now lists onnx/model.onnx, with our stamp
  assert.equal(ensureOnnx(again).converted, false);
  const later = new Date(Date.now() + 60_000);
  utimesSync(f.safetensorsPath!, later, later);
  assert.equal(ensureOnnx(inspectModelFolder(f.dir)).converted, true);
  assert.equal(ensureOnnx(inspectModelFolder(f.dir), { force: true }).converted, true);
});

test('with a cache dir the file goes under a hash of the checkpoint, leaving the model folder untouched', () => {
  const f = tinyFolder();
  const cacheDir = join(scratch, 'cache');
  const r = ensureOnnx(f, { cacheDir });
  assert.match(r.onnxPath, new RegExp(`^${cacheDir}/[0-9a-f]{32}/model\\.onnx$`));
  assert.equal(existsSync(join(f.dir, 'onnx')), false);
  assert.equal(ensureOnnx(f, { cacheDir }).converted, false);
  const other = tinyFolder();
  assert.notEqual(onnxPathFor(other, cacheDir), r.onnxPath);
});

test('an ONNX file shipped with the checkpoint is used as is, never overwritten', () => {
  const f = tinyFolder();
  mkdirSync(join(f.dir, 'onnx'));
  writeFileSync(join(f.dir, 'onnx', 'model.onnx'), 'shipped');
  const r = ensureOnnx(inspectModelFolder(f.dir));
  assert.deepEqual(r, { onnxPath: join(f.dir, 'onnx', 'model.onnx'), converted: false, precision: 'fp32' });
});

test('progress rises from 0 to 1 through building (per layer) and writing', () => {
  const f = tinyFolder('modernbert', 'mlm');
  const seen: Array<[number, string]> = [];
  const r = convertCheckpoint(f, join(scratch, 'progress', 'model.onnx'), { onProgress: (x, m) => seen.push([x, m]) });
  assert.equal(r.head, 'mlm');
  assert.deepEqual(r.outputNames, ['last_hidden_state', 'logits', 'hidden_states.1', 'hidden_states.2']);
  assert.deepEqual(r.inputNames, ['input_ids', 'attention_mask']);
  assert.equal(seen.at(-1)![0], 1);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0], 'progress went backwards');
  assert.ok(seen.some(([, m]) => /layer 3 of 3/.test(m)));
  assert.ok(seen.some(([, m]) => /writing/.test(m)));
});

test('a cancelled conversion throws "cancelled" and leaves no file behind', () => {
  const f = tinyFolder();
  const ac = new AbortController();
  const out = join(scratch, 'cancelled', 'model.onnx');
  assert.throws(
    () => convertCheckpoint(f, out, { signal: ac.signal, onProgress: (_x, m) => { if (/layer 1/.test(m)) ac.abort(); } }),
    (e: unknown) => e instanceof EngineError && e.code === 'cancelled',
  );
  assert.equal(existsSync(out), false);
  assert.deepEqual(existsSync(join(scratch, 'cancelled')) ? readdirSync(join(scratch, 'cancelled')) : [], []);
});

test('weights that do not fit config.json are reported naming the tensor', () => {
  const f = tinyFolder();
  makeTestModel({ arch: 'bert', out: f.dir, sizes: { intermediate: 48 } });
  const wrong = { ...f, config: { ...f.config, intermediateSize: 64 } };
  assert.throws(() => convertCheckpoint(wrong, join(scratch, 'wrong.onnx')), (e: unknown) =>
    e instanceof EngineError && e.code === 'corrupt-weights' && /intermediate\.dense\.weight" has shape \[48, 32\] but config\.json implies \[64, 32\]/.test(e.message));
});

test('a config.json whose model_type does not match the weights says which it is', () => {
  const bert = tinyFolder('bert');
  const modern = tinyFolder('modernbert');
  assert.throws(() => convertCheckpoint({ ...bert, config: modern.config }, join(scratch, 'mixed.onnx')), (e: unknown) =>
    e instanceof EngineError && e.code === 'bad-config' && /says model_type "modernbert" but the weights are BERT's/.test(e.message));
  assert.throws(() => convertCheckpoint({ ...modern, config: bert.config }, join(scratch, 'mixed.onnx')), /says model_type "bert" but the weights are ModernBERT's/);
});

test('position and rotary variants the converter does not implement are refused, not approximated', () => {
  const bert = tinyFolder('bert');
  const relative = { ...bert, config: { ...bert.config, raw: { ...bert.config.raw, position_embedding_type: 'relative_key' } } };
  assert.throws(() => convertCheckpoint(relative, join(scratch, 'rel.onnx')), (e: unknown) => e instanceof EngineError && e.code === 'unsupported-model' && /relative_key/.test(e.message));
  const modern = tinyFolder('modernbert');
  const raw = { ...modern.config.raw, rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 1 }, sliding_attention: { rope_type: 'default', rope_theta: 1 } } };
  assert.throws(() => convertCheckpoint({ ...modern, config: { ...modern.config, raw } }, join(scratch, 'yarn.onnx')), /rope_type "yarn"/);
});

test('a decoder BERT (is_decoder: true) is refused: converting it with bidirectional attention would be silently wrong', () => {
  const dir = join(scratch, `decoder-${n++}`);
  makeTestModel({ arch: 'bert', out: dir, configOverrides: { is_decoder: true } });
  writeStubTokenizer(dir);
  assert.throws(() => ensureOnnx(inspectModelFolder(dir)), (e: unknown) =>
    e instanceof EngineError && e.code === 'unsupported-model' && /"is_decoder": true.*bidirectional encoders only/.test(e.message));
  assert.ok(!existsSync(join(dir, 'onnx', 'model.onnx')));
});

test('ModernBERT with rope_scaling is refused by the converter, even when handed an edited config', () => {
  const modern = tinyFolder('modernbert');
  const raw = { ...modern.config.raw, rope_scaling: { rope_type: 'linear', factor: 4 } };
  assert.throws(() => convertCheckpoint({ ...modern, config: { ...modern.config, raw } }, join(scratch, 'scaled.onnx')), (e: unknown) =>
    e instanceof EngineError && e.code === 'unsupported-model' && /rope_scaling "linear"/.test(e.message));
});

test('an unsupported activation is refused with the full list of those accepted, and each listed one converts', () => {
  const dir = join(scratch, `act-${n++}`);
  makeTestModel({ arch: 'bert', out: dir, configOverrides: { hidden_act: 'mish' } });
  writeStubTokenizer(dir);
  let message = '';
  assert.throws(() => ensureOnnx(inspectModelFolder(dir)), (e: unknown) => {
    message = (e as Error).message;
    return e instanceof EngineError && e.code === 'unsupported-model' && /activation "mish"/.test(message);
  });
  const listed = /\(supported: ([^)]*)\)/.exec(message)?.[1]?.split(', ') ?? [];
  for (const name of ['gelu', 'gelu_python', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish', 'tanh']) {
    assert.ok(listed.includes(name), `${name} is accepted but missing from the refusal's list: ${message}`);
  }
  for (const name of listed) {
    const ok = join(scratch, `act-${n++}`);
    makeTestModel({ arch: 'bert', out: ok, sizes: { layers: 1 }, configOverrides: { hidden_act: name } });
    writeStubTokenizer(ok);
    assert.doesNotThrow(() => ensureOnnx(inspectModelFolder(ok)), name);
  }
});

test('the written file loads in onnxruntime with dynamic batch and sequence axes', async () => {
  const f = tinyFolder('bert', 'mlm');
  const { onnxPath } = ensureOnnx(f);
  assert.ok(statSync(onnxPath).size > 4 * 512 * 32);
  const bytes = readFileSync(onnxPath);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x08, 8], 'ModelProto.ir_version 8 comes first');
  // ModelProto.opset_import { domain: "", version: 17 }
  assert.ok(bytes.includes(Buffer.from([0x42, 0x04, 0x0a, 0x00, 0x10, 17])), 'opset 17 is imported');
  const s = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  for (const [B, S] of [[1, 1], [3, 17]] as const) {
    const t = (v: bigint) => new ort.Tensor('int64', new BigInt64Array(B * S).fill(v), [B, S]);
    const out = await s.run({ input_ids: t(7n), attention_mask: t(1n), token_type_ids: t(0n) });
    assert.deepEqual(out['logits']!.dims, [B, S, 512]);
  }
});

test('config.json\'s architectures decides the head; without it BERT weights decide, ModernBERT classifiers are ambiguous', () => {
  const dirOf = (arch: 'bert' | 'modernbert', head: 'token' | 'sequence') => {
    const dir = join(scratch, `arch-${n++}`);
    makeTestModel({ arch, head, out: dir, configOverrides: { architectures: [] } });
    writeStubTokenizer(dir);
    return inspectModelFolder(dir);
  };
  // BertForTokenClassification has no pooler; BertForSequenceClassification has one
  assert.equal(convertCheckpoint(dirOf('bert', 'token'), join(scratch, 'a.onnx')).head, 'token');
  assert.equal(convertCheckpoint(dirOf('bert', 'sequence'), join(scratch, 'b.onnx')).head, 'sequence');
  assert.throws(() => convertCheckpoint(dirOf('modernbert', 'token'), join(scratch, 'c.onnx')), (e: unknown) =>
    e instanceof EngineError && e.code === 'bad-config' && /ForTokenClassification.*ForSequenceClassification/.test(e.message));
});

test('a sharded checkpoint converts to the same model as the single file', async () => {
  const single = tinyFolder('modernbert', 'mlm');
  const file = readSafetensors(single.safetensorsFiles[0]!);
  const names = [...file.tensors.keys()];
  const dir = join(scratch, `sharded-${n++}`);
  makeTestModel({ arch: 'modernbert', head: 'mlm', out: dir });
  writeStubTokenizer(dir);
  rmSync(join(dir, 'model.safetensors'));
  const half = Math.ceil(names.length / 2);
  const shards = [names.slice(0, half), names.slice(half)];
  const weightMap: Record<string, string> = {};
  shards.forEach((part, i) => {
    const shard = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(join(dir, shard), part.map((name) => ({ name, shape: file.tensors.get(name)!.shape, data: tensorAsFloat32(file, name) })));
    for (const name of part) weightMap[name] = shard;
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const a = await ort.InferenceSession.create(ensureOnnx(single).onnxPath);
  const b = await ort.InferenceSession.create(ensureOnnx(inspectModelFolder(dir)).onnxPath);
  const t = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
  const feeds = { input_ids: t([2, 17, 99, 311, 3]), attention_mask: t([1, 1, 1, 1, 1]) };
  assert.deepEqual(Array.from((await b.run(feeds))['logits']!.data as Float32Array), Array.from((await a.run(feeds))['logits']!.data as Float32Array));
});
