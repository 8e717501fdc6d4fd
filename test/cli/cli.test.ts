import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The CLI as shipped: the bundle built by scripts/run-tests.mjs.
const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-cli-'));

function cmb(args: string[], input?: string | Buffer) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, env: { ...process.env, CMB_STORAGE_DIR: tmp } });
  return { code: r.status, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
}

const lines = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

for (const arch of ['bert', 'modernbert'] as const) {
  test(`${arch}: make-test-model, info, tokenize and embed from the command line`, () => {
    const dir = path.join(tmp, arch);
    const made = cmb(['make-test-model', '--arch', arch, '--head', 'token', '--out', dir]);
    assert.equal(made.code, 0, made.err);
    const info = cmb(['info', '--model', dir, '--provider', 'cpu']);
    assert.equal(info.code, 0, info.err);
    const i = JSON.parse(info.out) as Record<string, unknown>;
    assert.equal(i.architecture, arch);
    assert.equal(i.provider, 'cpu');
    assert.equal(i.demo, true);
    assert.ok((i.outputs as string[]).includes('logits'));

    const text = 'Pt denies chest pain. BP 120/80 ≥ µg é 🫀';
    const tok = cmb(['tokenize', '--model', dir], JSON.stringify({ text }) + '\n' + JSON.stringify({ text: '' }) + '\n');
    assert.equal(tok.code, 0, tok.err);
    const [t, empty] = lines(tok.out) as Array<{ ids: number[]; offsets: Array<[number, number]> }>;
    assert.equal(t.ids.length, t.offsets.length);
    assert.deepEqual(empty.ids.length, 2); // [CLS] [SEP]
    for (const [s, e] of t.offsets) assert.ok(s >= 0 && e <= text.length && s <= e);

    const emb = cmb(['embed', '--model', dir], [text, '', 'Metformin 500 mg PO BID'].map((x) => JSON.stringify({ text: x })).join('\n'));
    assert.equal(emb.code, 0, emb.err);
    const vs = lines(emb.out).map((l) => l.embedding as number[]);
    assert.equal(vs.length, 3);
    for (const v of vs) {
      assert.equal(v.length, 32);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-3, 'embeddings are L2-normalised');
    }
    assert.notDeepEqual(vs[0], vs[2]);
  });
}

test('every command answers --help with its usage and exit code 0', () => {
  // before: most commands refused --help ("--help needs a value", "unknown option --help") with exit code 2
  const names = ['info', 'convert', 'tokenize', 'embed', 'make-test-model', 'heads', 'ner', 'assert', 'classify', 'icd', 'icd-detect', 'icd-embed', 'icd-suggest', 'index', 'search', 'train', 'eval', 'finetune', 'convert-data', 'download', 'gpu'];
  for (const name of names) {
    const r = cmb([name, '--help']);
    assert.equal(r.code, 0, `cmb ${name} --help: ${r.err}`);
    assert.match(r.out, new RegExp(`cmb ${name}\\b`), `cmb ${name} --help prints its usage`);
    if (name === 'gpu') assert.match(r.out, /--install/);
  }
  // an unknown option is still refused with one line
  const bad = cmb(['icd-suggest', '--frobnicate', '1']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err.trim().split('\n').length, 1);
});

test('bad input exits with code 2 and one clear line', () => {
  const dir = path.join(tmp, 'bad-input-model');
  assert.equal(cmb(['make-test-model', '--arch', 'bert', '--out', dir]).code, 0);
  const malformed = cmb(['embed', '--model', dir], '{"text":"ok"}\n{"text":\n');
  assert.equal(malformed.code, 2);
  assert.match(malformed.err, /line 2: not valid JSON/);
  assert.equal(malformed.err.trim().split('\n').length, 1);
  assert.equal(lines(malformed.out).length, 1, 'lines before the bad one are answered');

  for (const command of ['embed', 'tokenize', 'icd-detect']) {
    const noteText = cmb([command, ...(command === 'icd-detect' ? [] : ['--model', dir])], 'Pt denies chest pain\n');
    assert.equal(noteText.code, 2, command);
    assert.match(noteText.err, /line 1: not valid JSON/);
    assert.ok(!/Pt|denies/.test(noteText.err), `${command} quoted the input: ${noteText.err}`);
  }

  const notUtf8 = cmb(['tokenize', '--model', dir], Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]));
  assert.equal(notUtf8.code, 2);
  assert.match(notUtf8.err, /line 1: input is not valid UTF-8/);

  const wrongType = cmb(['embed', '--model', dir], '{"text": 5}\n');
  assert.equal(wrongType.code, 2);
  assert.match(wrongType.err, /"text" must be a string/);

  assert.equal(cmb(['make-test-model', '--arch', 'gpt2', '--out', dir]).code, 2);
  assert.equal(cmb(['frobnicate']).code, 2);
  assert.equal(cmb(['embed']).code, 2);
});

test('a model folder problem is reported in one line with a non-zero exit', () => {
  const r = cmb(['info', '--model', path.join(tmp, 'does-not-exist')]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /does-not-exist|not found|no such/i);
  const pickle = path.join(tmp, 'pickle');
  fs.mkdirSync(pickle, { recursive: true });
  fs.writeFileSync(path.join(pickle, 'config.json'), JSON.stringify({ model_type: 'bert', vocab_size: 10, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4 }));
  fs.writeFileSync(path.join(pickle, 'tokenizer.json'), '{}');
  fs.writeFileSync(path.join(pickle, 'pytorch_model.bin'), 'not really');
  const p = cmb(['info', '--model', pickle]);
  assert.notEqual(p.code, 0);
  assert.match(p.err, /pickle|execute/i);
});

test('--precision picks the variant: cmb info says which runs and why, convert makes that file, bad values exit 2', () => {
  const dir = path.join(tmp, 'precision-model');
  assert.equal(cmb(['make-test-model', '--arch', 'modernbert', '--head', 'token', '--out', dir]).code, 0);
  const auto = JSON.parse(cmb(['info', '--model', dir, '--provider', 'cpu']).out) as Record<string, unknown>;
  assert.equal(auto.precision, 'int8');
  assert.match(String(auto.precisionReason), /^auto: int8 on the CPU/);
  assert.equal(auto.onnxPath, path.join(dir, 'onnx', 'model_quantized.onnx'));
  assert.ok((auto.threads as number) >= 1, 'threads chosen from the physical cores');
  const fp32 = JSON.parse(cmb(['info', '--model', dir, '--provider', 'cpu', '--precision', 'fp32']).out) as Record<string, unknown>;
  assert.equal(fp32.precision, 'fp32');
  assert.equal(fp32.onnxPath, path.join(dir, 'onnx', 'model.onnx'));
  const converted = cmb(['convert', '--model', dir, '--provider', 'cpu', '--precision', 'fp16']);
  assert.equal(converted.code, 0, converted.err);
  assert.equal((JSON.parse(converted.out.trim().split('\n').at(-1)!) as { onnxPath: string }).onnxPath, path.join(dir, 'onnx', 'model_fp16.onnx'));
  // convert with auto settings makes what a load would run on this machine: int8 on a CPU-only one
  const autoConvert = cmb(['convert', '--model', dir, '--provider', 'cpu', '--force']);
  assert.equal((JSON.parse(autoConvert.out.trim().split('\n').at(-1)!) as { precision: string }).precision, 'int8');
  for (const bad of ['int4', 'FP16', '']) {
    const r = cmb(['info', '--model', dir, '--precision', bad]);
    assert.equal(r.code, 2, bad);
    assert.equal(r.err.trim().split('\n').length, 1);
    assert.match(r.err, /--precision must be auto, fp32, fp16 or int8|--precision needs a value/);
  }
});

test('every command that loads a model takes --precision and --batch-tokens (ner, classify, train, eval, icd-suggest), and checks their values', () => {
  const dir = path.join(tmp, 'precision-model-commands');
  assert.equal(cmb(['make-test-model', '--arch', 'bert', '--head', 'token', '--out', dir]).code, 0);
  const ner = cmb(['ner', '--model', dir, '--provider', 'cpu', '--precision', 'fp32', '--batch-tokens', '512', '--merge', 'modelOnly'], JSON.stringify({ text: 'Pt denies chest pain.' }) + '\n');
  assert.equal(ner.code, 0, ner.err);
  assert.equal(fs.existsSync(path.join(dir, 'onnx', 'model.onnx')), true, 'ner ran the fp32 file it was asked for');
  assert.equal(fs.existsSync(path.join(dir, 'onnx', 'model_quantized.onnx')), false);
  const badNer = cmb(['ner', '--model', dir, '--precision', 'int4'], JSON.stringify({ text: 'x' }) + '\n');
  assert.equal(badNer.code, 2);
  assert.match(badNer.err, /--precision must be auto, fp32, fp16 or int8/);
  const train = cmb(['train', '--model', dir, '--precision', 'int4', '--batch-tokens', '512', '--task', 'ner', '--data', path.join(tmp, 'none.conll'), '--out', 'h']);
  for (const r of [cmb(['classify', '--model', dir, '--precision', 'int4'], ''), train]) {
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--precision must be auto, fp32, fp16 or int8/);
  }
  // these check their data first: the options are known all the same
  for (const command of [['eval', '--head', 'none', '--data', path.join(tmp, 'none.jsonl')], ['icd-suggest']]) {
    const r = cmb([...command, '--model', dir, '--precision', 'fp32', '--batch-tokens', '512'], '');
    assert.doesNotMatch(r.err, /unknown option/, command[0]);
  }
});
