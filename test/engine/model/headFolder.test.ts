import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../../../src/engine/errors';
import { inspectModelFolder } from '../../../src/engine/model/folder';
import { encoderFingerprint, inspectHeads } from '../../../src/engine/model/headFolder';
import { loadModel } from '../../../src/engine/model/loadModel';
import { readSafetensors, tensorAsFloat32, writeSafetensors } from '../../../src/engine/model/safetensors';
import { makeTestHead } from '../../../src/engine/model/testHead';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { cpuSettings, maxAbsDiff, scratch, splitCheckpoint, testWindows } from './headFolderFixtures';

const cases = [
  { arch: 'bert', task: 'token', overrides: {} },
  { arch: 'bert', task: 'sequence', overrides: {} },
  { arch: 'modernbert', task: 'token', overrides: {} },
  { arch: 'modernbert', task: 'sequence', overrides: { classifier_pooling: 'mean' } },
  { arch: 'modernbert', task: 'sequence', overrides: { classifier_pooling: 'cls', classifier_activation: 'silu' } },
] as const;

for (const c of cases) {
  test(`a ${c.arch} ${c.task} head cut out of its checkpoint gives the same logits beside the encoder ${JSON.stringify(c.overrides)}`, async () => {
    const split = splitCheckpoint(c.arch, c.task, c.overrides);
    const combined = await loadModel(split.combined, cpuSettings);
    const separate = await loadModel(split.encoder, cpuSettings);
    try {
      assert.deepEqual(separate.heads, [{ name: split.headName, task: c.task, labels: split.labels }]);
      assert.ok(!separate.info.outputs.includes('logits'), 'the encoder alone has no logits');
      const windows = testWindows();
      const a = await combined.run(windows, ['logits', 'last_hidden_state']);
      const b = await separate.run(windows, ['logits', 'last_hidden_state'], undefined, { head: split.headName });
      for (let i = 0; i < windows.length; i++) {
        assert.deepEqual(b[i]!['logits']!.dims, a[i]!['logits']!.dims);
        assert.deepEqual(b[i]!['logits']!.dims, c.task === 'token' ? [windows[i]!.length, split.labels.length] : [split.labels.length]);
        const d = maxAbsDiff(a[i]!['logits']!.data, b[i]!['logits']!.data);
        assert.ok(d <= 1e-5, `window ${i}: logits differ by ${d}`);
        assert.ok(maxAbsDiff(a[i]!['last_hidden_state']!.data, b[i]!['last_hidden_state']!.data) <= 1e-5);
      }
      // without the head option the encoder's own outputs are all there is
      await assert.rejects(separate.run(windows, ['logits']), (e: unknown) => e instanceof EngineError && e.code === 'unsupported-model');
    } finally {
      await combined.dispose();
      await separate.dispose();
    }
  });
}

test('the head graph is cached beside the head and rebuilt when its weights change', async () => {
  const split = splitCheckpoint('bert', 'token');
  const onnx = join(split.encoder, 'heads', split.headName, 'onnx', 'model.onnx');
  const m1 = await loadModel(split.encoder, cpuSettings);
  const windows = testWindows();
  const before = await m1.run(windows, ['logits'], undefined, { head: split.headName });
  await m1.dispose();
  assert.ok(existsSync(onnx) && existsSync(`${onnx}.source.json`));

  // a different head under the same name (as the fine-tune command would write it) is picked up
  makeTestHead({ encoderDir: split.encoder, name: split.headName, task: 'token', labels: split.labels, seed: 7, std: 0.5 });
  const m2 = await loadModel(split.encoder, cpuSettings);
  const after = await m2.run(windows, ['logits'], undefined, { head: split.headName });
  await m2.dispose();
  assert.ok(maxAbsDiff(before[0]!['logits']!.data, after[0]!['logits']!.data) > 1e-3, 'the new weights are used');
});

test('with a cache dir the head graph goes there and the model folder stays untouched', async () => {
  const split = splitCheckpoint('modernbert', 'token');
  const cacheDir = join(scratch, 'cache-heads');
  const m = await loadModel(split.encoder, { ...cpuSettings, cacheDir });
  await m.run(testWindows(), ['logits'], undefined, { head: split.headName });
  await m.dispose();
  assert.ok(!existsSync(join(split.encoder, 'heads', split.headName, 'onnx')));
});

test('an unknown head name is refused with the names there are', async () => {
  const split = splitCheckpoint('bert', 'sequence');
  const m = await loadModel(split.encoder, cpuSettings);
  try {
    await assert.rejects(m.run(testWindows(), ['logits'], undefined, { head: 'nope' }), (e: unknown) =>
      e instanceof EngineError && e.code === 'bad-input' && /no usable task head "nope"/.test(e.message) && e.message.includes(split.headName));
  } finally {
    await m.dispose();
  }
});

// ---- bad head folders

function encoderWithHead(name: string, task: 'token' | 'sequence' = 'token'): { encoder: string; head: string } {
  const encoder = join(scratch, `bad-${name}`);
  makeTestModelFolder({ arch: 'bert', out: encoder });
  return { encoder, head: makeTestHead({ encoderDir: encoder, name, task }) };
}

function editConfig(head: string, edit: (c: Record<string, unknown>) => void): void {
  const path = join(head, 'config.json');
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(path, JSON.stringify(c));
}

function problemOf(encoder: string): { code: string; message: string } {
  const { heads, problems } = inspectHeads(inspectModelFolder(encoder));
  assert.equal(heads.length, 0);
  assert.equal(problems.length, 1);
  return problems[0]!;
}

test('a head folder without weights: missing-file', () => {
  const { encoder, head } = encoderWithHead('no-weights');
  rmSync(join(head, 'model.safetensors'));
  const p = problemOf(encoder);
  assert.equal(p.code, 'missing-file');
  assert.match(p.message, /Task head "no-weights": the folder has no model\.safetensors/);
});

test('a classifier whose shape disagrees with id2label: corrupt-weights naming the tensor', () => {
  const { encoder, head } = encoderWithHead('wrong-shape');
  editConfig(head, (c) => ((c['id2label'] as Record<string, string>)['7'] = 'B-EXTRA'));
  const p = problemOf(encoder);
  assert.equal(p.code, 'corrupt-weights');
  assert.match(p.message, /"classifier\.weight" has shape \[7, 32\] but id2label \(8 labels\) and hidden_size 32 imply \[8, 32\]/);
});

test('a head missing a tensor its architecture needs: corrupt-weights naming it', () => {
  const { encoder, head } = encoderWithHead('no-pooler', 'sequence');
  const st = readSafetensors(join(head, 'model.safetensors'));
  const kept = [...st.tensors.values()].filter((t) => !t.name.startsWith('pooler.')).map((t) => ({ name: t.name, shape: t.shape, data: tensorAsFloat32(st, t.name) }));
  writeSafetensors(join(head, 'model.safetensors'), kept);
  const p = problemOf(encoder);
  assert.equal(p.code, 'corrupt-weights');
  assert.match(p.message, /no tensor "pooler\.dense\.weight", which a "bert-pooler" sequence head needs/);
});

test('unknown task, architecture, format or version: unsupported-model', () => {
  const edits: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ['task', (c) => (c['task'] = 'question-answering'), /task "question-answering" is not one of token-classification, sequence-classification/],
    ['arch', (c) => (c['architecture'] = 'crf'), /architecture "crf" is not one of linear, bert-pooler, modernbert-head/],
    ['format', (c) => (c['format'] = 'something-else'), /format "something-else"/],
    ['version', (c) => (c['version'] = 2), /version 2; this extension reads version 1/],
    ['pooler-tokens', (c) => (c['architecture'] = 'bert-pooler'), /cannot classify tokens/],
  ];
  for (const [name, edit, message] of edits) {
    const { encoder, head } = encoderWithHead(`unsupported-${name}`);
    editConfig(head, edit);
    const p = problemOf(encoder);
    assert.equal(p.code, 'unsupported-model', name);
    assert.match(p.message, message);
  }
});

test('config.json that is not JSON or lacks id2label: bad-config', () => {
  const { encoder, head } = encoderWithHead('not-json');
  writeFileSync(join(head, 'config.json'), '{ nope');
  assert.equal(problemOf(encoder).code, 'bad-config');
  const other = encoderWithHead('no-labels');
  editConfig(other.head, (c) => delete c['id2label']);
  assert.match(problemOf(other.encoder).message, /needs "id2label"/);
});

test('a head for a different hidden size is refused before anything runs', () => {
  const { encoder, head } = encoderWithHead('hidden');
  editConfig(head, (c) => (c['hidden_size'] = 768));
  const p = problemOf(encoder);
  assert.equal(p.code, 'unsupported-model');
  assert.match(p.message, /hidden states of size 768, but this encoder's are 32/);
});

test('a head trained on another encoder loads with a warning, not an error', async () => {
  const { encoder, head } = encoderWithHead('foreign');
  const own = encoderFingerprint(inspectModelFolder(encoder));
  assert.match(own, /^sha256:[0-9a-f]{64}$/);
  editConfig(head, (c) => ((c['encoder'] as Record<string, unknown>)['fingerprint'] = 'sha256:' + '0'.repeat(64)));
  const { heads, problems } = inspectHeads(inspectModelFolder(encoder));
  assert.equal(problems.length, 0);
  assert.match(heads[0]!.warning ?? '', /trained on a different encoder/);
  const logs: string[] = [];
  const m = await loadModel(encoder, cpuSettings, { log: (_l, msg) => logs.push(msg) });
  try {
    assert.match(m.heads?.[0]?.warning ?? '', /different encoder/);
    assert.ok(logs.some((l) => /Task head "foreign": it was trained on a different encoder/.test(l)));
    const out = await m.run(testWindows(), ['logits'], undefined, { head: 'foreign' });
    assert.equal(out.length, testWindows().length);
  } finally {
    await m.dispose();
  }
});

test('the fingerprint tells encoders of the same shape apart, and ignores config.json cosmetics', () => {
  const a = join(scratch, 'fp-a');
  const b = join(scratch, 'fp-b');
  makeTestModelFolder({ arch: 'bert', out: a, seed: 1 });
  makeTestModelFolder({ arch: 'bert', out: b, seed: 2 });
  const fa = encoderFingerprint(inspectModelFolder(a));
  assert.notEqual(fa, encoderFingerprint(inspectModelFolder(b)));
  const cfgPath = join(a, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(cfgPath, JSON.stringify({ ...cfg, _name_or_path: 'renamed' }));
  assert.equal(encoderFingerprint(inspectModelFolder(a)), fa);
});

test('one broken head does not stop the encoder or the other heads from loading', async () => {
  const { encoder } = encoderWithHead('good');
  const bad = makeTestHead({ encoderDir: encoder, name: 'bad', task: 'sequence' });
  rmSync(join(bad, 'model.safetensors'));
  const logs: string[] = [];
  const m = await loadModel(encoder, cpuSettings, { log: (_l, msg) => logs.push(msg) });
  try {
    assert.deepEqual(m.heads?.map((h) => h.name), ['good']);
    assert.deepEqual(m.info.taskHeads?.map((h) => h.name), ['good']);
    assert.ok(logs.some((l) => /Task head "bad".*model\.safetensors.*skipped/.test(l)));
  } finally {
    await m.dispose();
  }
});

test('layers and mlp in config.json are checked against the encoder and the weights', () => {
  const edits: Array<[string, (c: Record<string, unknown>) => void, string, RegExp]> = [
    ['too-deep', (c) => (c['layers'] = 5), 'unsupported-model', /reads the last 5 layers, but this encoder has 2/],
    ['layers-not-whole', (c) => (c['layers'] = 1.5), 'bad-config', /"layers" must be a whole number, 1 or more/],
    ['layers-wider', (c) => (c['layers'] = 2), 'corrupt-weights', /"classifier\.weight" has shape \[7, 32\] but id2label \(7 labels\) and hidden_size 32 x 2 layers imply \[7, 64\]/],
    ['mlp-no-width', (c) => (c['architecture'] = 'mlp'), 'bad-config', /an "mlp" head needs "mlp_hidden_size"/],
    ['mlp-no-dense', (c) => ((c['architecture'] = 'mlp'), (c['mlp_hidden_size'] = 8)), 'corrupt-weights', /"classifier\.weight" has shape \[7, 32\] but id2label \(7 labels\), mlp_hidden_size 8 and hidden_size 32 imply \[7, 8\]/],
  ];
  for (const [name, edit, code, message] of edits) {
    const { encoder, head } = encoderWithHead(name);
    editConfig(head, edit);
    const p = problemOf(encoder);
    assert.equal(p.code, code, name);
    assert.match(p.message, message, name);
  }
  const pooler = encoderWithHead('pooler-layers', 'sequence');
  editConfig(pooler.head, (c) => (c['layers'] = 2));
  assert.match(problemOf(pooler.encoder).message, /"bert-pooler" head reads the last layer only/);
});

test('a dot folder under heads/ (a head being written or replaced) is neither a head nor a problem', () => {
  const { encoder, head } = encoderWithHead('visible');
  const hidden = join(encoder, 'heads', '.visible.partial-1-2');
  mkdirSync(hidden);
  for (const f of ['config.json', 'model.safetensors']) writeFileSync(join(hidden, f), readFileSync(join(head, f)));
  const { heads, problems } = inspectHeads(inspectModelFolder(encoder));
  assert.deepEqual(heads.map((h) => h.name), ['visible']);
  assert.deepEqual(problems, []);
});
