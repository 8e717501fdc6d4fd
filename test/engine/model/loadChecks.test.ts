/**
 * A model that loads must also be right: at load a probe input runs through
 * the session, and outputs that are NaN, of the wrong rank, or that disagree
 * with config.json are refused with one line, instead of empty or null
 * embeddings printed with exit code 0 and NaN vectors stored in an index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EngineError, type EngineErrorCode } from '../../../src/engine/errors';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { loadModel } from '../../../src/engine/model/loadModel';
import { ensureOnnx, writeOnnxFile } from '../../../src/engine/model/convert/convert';
import { inspectModelFolder } from '../../../src/engine/model/folder';
import { makeTestModel, type MakeTestModelOptions } from '../../../src/engine/model/testModel';
import { writeTestTokenizerFiles } from '../../../src/engine/text/testTokenizer';
import { GraphBuilder } from '../../../src/engine/model/convert/graphBuilder';
import { encodeModel, OnnxDataType } from '../../../src/engine/model/convert/onnxModel';
import { readSafetensors, writeSafetensors, tensorAsFloat32 } from '../../../src/engine/model/safetensors';

const root = mkdtempSync(join(tmpdir(), 'cmb-loadchecks-'));
const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };
let n = 0;

function folder(opts: Partial<MakeTestModelOptions> = {}): string {
  const dir = join(root, `m${n++}`);
  makeTestModel({ arch: 'bert', ...opts, out: dir });
  writeTestTokenizerFiles(dir);
  return dir;
}

/** the ONNX file converted from a folder made with `opts` */
function convertedOnnx(opts: Partial<MakeTestModelOptions>): string {
  const dir = join(root, `src${n++}`);
  const ids = typeof opts.sizes === 'object' && opts.sizes.vocabSize ? opts.sizes.vocabSize : 512;
  const stubTokenizer = { model: { type: 'WordLevel', vocab: Object.fromEntries(Array.from({ length: ids }, (_, i) => [`t${i}`, i])) } };
  makeTestModel({ arch: 'bert', ...opts, out: dir, tokenizerJson: stubTokenizer });
  return ensureOnnx(inspectModelFolder(dir)).onnxPath;
}

/** a folder whose config.json and tokenizer come from one model and its shipped onnx/model.onnx from another */
function shipped(onnxPath: string, opts: Partial<MakeTestModelOptions> = {}): string {
  const dir = folder(opts);
  mkdirSync(join(dir, 'onnx'));
  copyFileSync(onnxPath, join(dir, 'onnx', 'model.onnx'));
  return dir;
}

async function refused(dir: string, code: EngineErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(dir, settings), (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n|onnxruntime_src|::/);
    return true;
  });
}

test('a healthy model passes the probe', async () => {
  const m = await loadModel(folder(), settings);
  await m.dispose();
});

test('a shipped ONNX file with another hidden size than config.json is refused, naming both', async () => {
  const dir = shipped(convertedOnnx({ sizes: { hidden: 64 } }));
  await refused(dir, 'bad-config', /gives hidden states of size 64 but config\.json says hidden_size 32: the ONNX file and config\.json come from different models/);
});

test('a shipped ONNX file with a smaller vocabulary than config.json is refused at load, not on some later note', async () => {
  const dir = shipped(convertedOnnx({ sizes: { vocabSize: 300 } }));
  await refused(dir, 'bad-config', /has a smaller vocabulary than config\.json's vocab_size 512/);
});

test('a shipped ONNX file whose logits disagree with id2label is refused', async () => {
  const dir = shipped(convertedOnnx({ head: 'token' }), { head: 'sequence' });
  await refused(dir, 'bad-config', /gives 7 scores per token but config\.json's id2label has 3 labels/);
});

test('an ONNX graph whose last_hidden_state has the wrong rank is refused (embeddings came out empty)', async () => {
  const g = new GraphBuilder();
  const ids = g.input('input_ids', OnnxDataType.Int64, ['batch', 'sequence']);
  g.input('attention_mask', OnnxDataType.Int64, ['batch', 'sequence']);
  const flat = g.op('Cast', [ids], { to: OnnxDataType.Float });
  g.output(flat, 'last_hidden_state', OnnxDataType.Float, ['batch', 'sequence']);
  const onnx = join(root, 'rank2.onnx');
  writeOnnxFile(encodeModel(g.build('rank2'), { producerName: 'test', producerVersion: '0', docString: '', metadata: {} }), onnx);
  await refused(shipped(onnx), 'unsupported-model', /gives last_hidden_state of shape \[1, \d+\] for 1 input of \d+ tokens; an encoder gives \[batch, tokens, hidden_size\]/);
});

test('an ONNX file with NaN weights is refused at load: NaN outputs on the probe', async () => {
  const onnx = convertedOnnx({});
  // the embedding LayerNorm's weight is 32 ones in float32; make them NaN
  const bytes = readFileSync(onnx);
  const ones = Buffer.from(new Float32Array(32).fill(1).buffer);
  const at = bytes.indexOf(ones);
  assert.ok(at > 0);
  Buffer.from(new Float32Array(32).fill(NaN).buffer).copy(bytes, at);
  const damaged = join(root, 'nan.onnx');
  writeFileSync(damaged, bytes);
  await refused(shipped(damaged), 'corrupt-weights', /The model gives NaN \(not-a-number\) outputs on a test input/);
});

test('a checkpoint with a NaN or infinite weight is refused by the converter, naming the tensor', async () => {
  for (const [value, word] of [[NaN, 'NaN'], [Infinity, 'infinite']] as const) {
    const dir = folder();
    const path = join(dir, 'model.safetensors');
    const f = readSafetensors(path);
    const target = [...f.tensors.keys()].find((k) => k.endsWith('encoder.layer.1.output.dense.weight'));
    assert.ok(target);
    const tensors = [...f.tensors.keys()].map((name) => {
      const data = Float32Array.from(tensorAsFloat32(f, name));
      if (name === target) data[5] = value;
      return { name, shape: f.tensors.get(name)!.shape, data };
    });
    writeSafetensors(path, tensors);
    await refused(dir, 'corrupt-weights', new RegExp(`tensor "(bert\\.)?encoder\\.layer\\.1\\.output\\.dense\\.weight" holds ${word} values \\(first at element 5\\)`));
  }
});

test('a damaged shipped ONNX file is reported as damaged first, not as an execution provider failure', async () => {
  const onnx = convertedOnnx({});
  const cut = join(root, 'cut.onnx');
  writeFileSync(cut, readFileSync(onnx).subarray(0, 1000));
  const dir = shipped(cut);
  await refused(dir, 'corrupt-weights', /^The ONNX file .*onnx\/model\.onnx is damaged or is not an ONNX model \(onnxruntime cannot parse it\)/);
  await assert.rejects(loadModel(dir, { ...settings, executionProvider: 'auto' }), (e: unknown) => e instanceof EngineError && !/execution provider/.test(e.message) && /is damaged/.test(e.message));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), '');
  await refused(dir, 'corrupt-weights', /is damaged or is not an ONNX model \(it holds no model graph\)/);
});

test('a converted ONNX file damaged on disk is converted again from the checkpoint', async () => {
  const dir = folder();
  const logs: string[] = [];
  const first = await loadModel(dir, settings);
  await first.dispose();
  // the variant the settings run (int8 on the CPU by default), converted beside the checkpoint
  const onnx = first.info.onnxPath;
  assert.equal(dirname(onnx), join(dir, 'onnx'));
  const whole = readFileSync(onnx);
  writeFileSync(onnx, whole.subarray(0, 1000));
  const again = await loadModel(dir, settings, { log: (_l, m) => logs.push(m) });
  await again.dispose();
  assert.ok(logs.some((l) => /is damaged; converting the checkpoint again/.test(l)), logs.join('\n'));
  assert.equal(readFileSync(onnx).length, whole.length);
});
