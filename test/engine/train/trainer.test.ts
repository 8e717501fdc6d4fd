import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEngineSettings, type EngineSettings } from '../../../src/engine/coreProtocol';
import { Engine, directContext } from '../../../src/engine/engine';
import { domainHandlers } from '../../../src/engine/domains';
import { EngineError } from '../../../src/engine/errors';
import type { Progress } from '../../../src/engine/protocol';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { loadModel } from '../../../src/engine/model/loadModel';
import { readSafetensors, tensorAsFloat32 } from '../../../src/engine/model/safetensors';
import { lastLayerOutputs } from '../../../src/engine/model/hiddenStates';
import { encoderFingerprint, inspectHeadFolder } from '../../../src/engine/model/headFolder';
import { ensureHeadOnnx } from '../../../src/engine/model/convert/headGraph';
import '../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { inspectModelFolder } from '../../../src/engine/model/folder';
import { converterVersion } from '../../../src/engine/model/convert/convert';
import { windowFeatures } from '../../../src/engine/train/featureCache';
import { HeadModel, type HeadShape } from '../../../src/engine/train/headModel';
import { splitNotes } from '../../../src/engine/train/trainer';
import type { TrainParams, TrainResult } from '../../../src/engine/train/protocol';
import { classifyDocuments, nerDocuments, writeJsonl } from './synthetic';

const root = mkdtempSync(join(tmpdir(), 'cmb-train-'));
const modelDir = join(root, 'encoder');
makeTestModelFolder({ arch: 'modernbert', out: modelDir });
const storage = join(root, 'storage');
// small windows: notes span several, so stitching and window aggregation are part of every figure
const settings: EngineSettings = { ...defaultEngineSettings, executionProvider: 'cpu', windowTokens: 24, windowStride: 6 };

async function engine(windows: Partial<EngineSettings> = {}): Promise<Engine> {
  const e = new Engine({ storageDir: storage, log: () => undefined }, domainHandlers);
  await e.call('model.load', { path: modelDir, settings: { ...settings, ...windows } }, directContext());
  return e;
}

const nerDocs = nerDocuments(200, 1);
const noteDocs = classifyDocuments(400, 2);
const fastNer: Partial<TrainParams> = { learningRate: 0.01 };
const fastNotes: Partial<TrainParams> = { learningRate: 0.1, epochs: 60, patience: 15 };

function headsListing(): string[] {
  return existsSync(join(modelDir, 'heads')) ? readdirSync(join(modelDir, 'heads')).sort() : [];
}

async function train(e: Engine, params: TrainParams, progress?: (p: Progress) => void, signal?: AbortSignal): Promise<TrainResult> {
  return e.call('train.run', params, directContext({ progress, signal }));
}

test('synthetic entities (decided by word identity): test entity F1 >= 0.95, a head folder with metrics.json, progress with epoch, loss, dev F1 and ETA', async () => {
  const e = await engine();
  try {
    const events: Progress[] = [];
    const r = await train(e, { task: 'ner', documents: nerDocs, name: 'entities', ...fastNer }, (p) => events.push(p));
    const t = r.metrics.test;
    assert.equal(t.task, 'ner');
    assert.ok(t.task === 'ner' && t.f1 >= 0.95, `test F1 ${JSON.stringify(t)}`);
    assert.ok(t.task === 'ner' && t.per_label['DRUG']!.support > 0 && t.per_label['PROBLEM']!.support > 0);
    assert.deepEqual(r.metrics.split, { seed: 13, train: 160, dev: 20, test: 20, dev_given: false, test_given: false });
    assert.deepEqual(r.metrics.labels, ['O', 'B-DRUG', 'I-DRUG', 'B-PROBLEM', 'I-PROBLEM']);
    assert.match(r.metrics.dataset.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.metrics.demo, true);
    assert.ok(r.warnings.some((w) => /random weights/.test(w)));
    const dir = join(modelDir, 'heads', 'entities');
    assert.equal(r.dir, dir);
    for (const f of ['config.json', 'model.safetensors', 'metrics.json']) assert.ok(existsSync(join(dir, f)), f);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).test, t);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(config.task, 'token-classification');
    assert.equal(config.architecture, 'linear');
    assert.equal(config.metrics.f1, t.task === 'ner' ? t.f1 : NaN);
    const epochs = events.filter((p) => p.training?.phase === 'training' && p.training.loss !== undefined);
    assert.equal(epochs.length, r.metrics.history.length);
    for (const p of epochs) {
      assert.ok(p.training!.epoch! >= 1 && p.training!.epochs === 20);
      assert.ok(Number.isFinite(p.training!.loss) && Number.isFinite(p.training!.devScore) && p.training!.etaSeconds! >= 0);
    }
    assert.ok(events.some((p) => p.training?.phase === 'features' && p.training.windowsTotal! > 0));
    assert.ok(!headsListing().some((n) => n.startsWith('.')), 'no temporary folder left');
  } finally {
    await e.dispose();
  }
});

test('synthetic note labels (decided by one keyword): test macro-F1 >= 0.95, confusion matrix and AUROC', async () => {
  // one window per note: a keyword in one window says nothing about the note's other windows
  const e = await engine({ windowTokens: 512, windowStride: 128 });
  try {
    const r = await train(e, { task: 'classify', documents: noteDocs, name: 'note-kind', ...fastNotes });
    const t = r.metrics.test;
    assert.ok(t.task === 'classify' && t.macro_f1 >= 0.95, `test ${JSON.stringify(t)}`);
    assert.ok(t.task === 'classify' && t.auroc !== null && t.auroc >= 0.95);
    assert.ok(t.task === 'classify' && t.confusion.matrix.flat().reduce((a, b) => a + b, 0) === 40);
    assert.equal(r.metrics.settings.pooling, 'mean');
    const md = await e.call('train.report', { head: 'note-kind' }, directContext());
    assert.match(md.markdown, /# Training report: heads\/note-kind/);
    assert.match(md.markdown, /\| gold \\ predicted \| cardiac \| routine \|/);
  } finally {
    await e.dispose();
  }
});

test('a small labelled set without --epochs trains for about 400 optimizer steps, not 20 epochs of 2 steps; given epochs are kept', async () => {
  const e = await engine({ windowTokens: 512, windowStride: 128 });
  try {
    // 40 notes: 32 train windows, batches of 16, so 2 steps an epoch
    const r = await train(e, { task: 'classify', documents: noteDocs.slice(0, 40), name: 'small-default' });
    assert.equal(r.metrics.settings.epochs, 200);
    assert.equal(r.metrics.settings.patience, 20);
    const given = await train(e, { task: 'classify', documents: noteDocs.slice(0, 40), name: 'small-given', epochs: 3 });
    assert.equal(given.metrics.settings.epochs, 3);
    assert.equal(given.metrics.settings.patience, 4);
  } finally {
    await e.dispose();
  }
});

/** A saved head in the training code (HeadModel, its tensors as written) */
function savedHead(dir: string, shape: HeadShape): HeadModel {
  const file = readSafetensors(join(dir, 'model.safetensors'));
  const names = shape.architecture === 'mlp' ? ['dense.weight', 'dense.bias', 'classifier.weight', 'classifier.bias'] : ['classifier.weight', 'classifier.bias'];
  return new HeadModel(shape, names.map((name) => ({ name, shape: file.tensors.get(name)!.shape, data: tensorAsFloat32(file, name), decay: false })));
}

function pool(rows: Float32Array, n: number, D: number, pooling: 'cls' | 'mean'): Float32Array {
  const v = new Float32Array(D);
  if (pooling === 'cls') v.set(rows.subarray(0, D));
  else for (let j = 0; j < D; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += rows[r * D + j]!;
    v[j] = s / n;
  }
  return v;
}

for (const [task, architecture, layers, pooling] of [
  ['ner', 'linear', 1, undefined],
  ['ner', 'mlp', 2, undefined],
  ['classify', 'linear', 3, 'cls'],
  ['classify', 'mlp', 2, 'mean'],
] as const) {
  test(`the saved ${task} head (${architecture}, last ${layers} layer${layers > 1 ? 's' : ''}${pooling ? `, ${pooling}` : ''}): its ONNX graph gives the training code's logits (<= 1e-5, relative past 1), and runs after the encoder`, async () => {
    const name = `repro-${task}-${architecture}-${layers}`;
    const e = await engine();
    try {
      await train(e, { task, documents: task === 'ner' ? nerDocs.slice(0, 40) : noteDocs.slice(0, 40), name, head: architecture, layers, pooling, epochs: 2, learningRate: 0.05 });
    } finally {
      await e.dispose();
    }
    const model = await loadModel(modelDir, settings);
    try {
      const dir = join(modelDir, 'heads', name);
      const texts = (task === 'ner' ? nerDocs : noteDocs).slice(0, 6).map((d) => d.text);
      const ids = texts.flatMap((t) => model.windows(t).map((w) => w.ids));
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      assert.equal(config.layers ?? 1, layers);
      const H = model.config.hiddenSize;
      const shape: HeadShape = { architecture, inputWidth: H * layers, labels: Object.keys(config.id2label).length, ...(architecture === 'mlp' ? { mlpHidden: config.mlp_hidden_size } : {}) };
      const head = savedHead(dir, shape);
      const outputs = lastLayerOutputs(model.config.numHiddenLayers, layers);
      const encoderKey = `${encoderFingerprint(inspectModelFolder(modelDir))}\u0000${converterVersion}`;
      const f = await windowFeatures(model, ids.map((w, i) => ({ index: i, ids: w, offsets: [], tokenStart: 0, tokenEnd: 0, charStart: 0, charEnd: 0 })), { outputs, hidden: H, encoderKey });
      const folder = inspectHeadFolder(dir, { config: model.config });
      const session = await ort.InferenceSession.create(ensureHeadOnnx(folder).onnxPath);
      let worst = 0;
      let endToEnd = 0;
      const viaEncoder = await model.run(ids, ['logits'], undefined, { head: name });
      for (let i = 0; i < ids.length; i++) {
        const n = ids[i]!.length;
        const rows = f.rows[i]!;
        // the same features into the head graph, one layer per input as the runner feeds them
        const feeds: Record<string, ort.Tensor> = { attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]) };
        outputs.forEach((o, k) => {
          const x = new Float32Array(n * H);
          for (let r = 0; r < n; r++) x.set(rows.subarray(r * f.width + k * H, r * f.width + (k + 1) * H), r * H);
          feeds[o] = new ort.Tensor('float32', x, [1, n, H]);
        });
        const graph = (await session.run(feeds))['logits']!.data as Float32Array;
        const ours = pooling ? head.forward(pool(rows, n, f.width, pooling), 1).logits : head.forward(rows, n).logits;
        assert.equal(graph.length, ours.length);
        // float32 sums in the graph against float64 sums here: 1e-5 absolute, relative for logits above 1
        graph.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ours[j]!) / Math.max(1, Math.abs(ours[j]!)))));
        viaEncoder[i]!['logits']!.data.forEach((v, j) => (endToEnd = Math.max(endToEnd, Math.abs(v - ours[j]!) / Math.max(1, Math.abs(ours[j]!)))));
      }
      await session.release();
      assert.ok(worst <= 1e-5, `the head graph and the training code differ by ${worst}`);
      // through the runner the encoder reruns in other batches: float32 noise only, a wrong layer order would be far off
      assert.ok(endToEnd <= 1e-3, `encoder + head differ from the training code by ${endToEnd}`);
      // not vacuous: the logits vary across positions and classes
      assert.ok(new Set(Array.from(viaEncoder[0]!['logits']!.data.slice(0, 6), (v) => v.toFixed(4))).size > 1);
    } finally {
      await model.dispose();
    }
  });
}

test('a second run on the same notes reads every window from the feature cache and repeats the figures (seeded)', async () => {
  const e = await engine();
  try {
    const docs = nerDocs.slice(0, 60);
    const first = await train(e, { task: 'ner', documents: docs, name: 'cache-a', epochs: 3 });
    const second = await train(e, { task: 'ner', documents: docs, name: 'cache-b', epochs: 3 });
    assert.equal(second.metrics.timings.windows_cached, second.metrics.timings.windows);
    assert.equal(second.metrics.timings.tokens_encoded, 0);
    assert.deepEqual(second.metrics.test, first.metrics.test);
    assert.deepEqual(second.metrics.history.map((h) => h.loss), first.metrics.history.map((h) => h.loss));
    assert.equal(second.metrics.dataset.fingerprint, first.metrics.dataset.fingerprint);
    // another seed: another split and other initial weights
    const third = await train(e, { task: 'ner', documents: docs, name: 'cache-c', epochs: 3, seed: 5 });
    assert.notEqual(third.metrics.dataset.fingerprint, first.metrics.dataset.fingerprint);
  } finally {
    await e.dispose();
  }
  // another precision variant gives other features: none of the int8 run's are reused
  const fp32 = await engine({ precision: 'fp32' });
  try {
    const r = await train(fp32, { task: 'ner', documents: nerDocs.slice(0, 60), name: 'cache-fp32', epochs: 3 });
    assert.equal(r.metrics.timings.windows_cached, 0);
  } finally {
    await fp32.dispose();
  }
});

for (const phase of ['features', 'training'] as const) {
  test(`a run cancelled during ${phase} throws "cancelled" and leaves no head folder and no temporary folder`, async () => {
    const e = await engine();
    try {
      const before = headsListing();
      const ac = new AbortController();
      await assert.rejects(
        train(e, { task: 'ner', documents: nerDocs, name: `cancelled-${phase}`, epochs: 50, featureCacheBytes: 0 }, (p) => {
          if (p.training?.phase === phase) ac.abort();
        }, ac.signal),
        (err: unknown) => err instanceof EngineError && err.code === 'cancelled',
      );
      assert.deepEqual(headsListing(), before);
    } finally {
      await e.dispose();
    }
  });
}

test('bad input is refused with one sentence: too few notes, no labels for the task, a taken name, too many layers', async () => {
  const e = await engine();
  const refused = (params: TrainParams, pattern: RegExp) =>
    assert.rejects(train(e, params), (err: unknown) => err instanceof EngineError && err.code === 'bad-input' && pattern.test(err.message));
  try {
    await refused({ task: 'ner', documents: nerDocs.slice(0, 6), name: 'tiny' }, /has 6 usable notes; at least 10 are needed/);
    await refused({ task: 'ner', documents: [], name: 'empty' }, /holds no notes/);
    await refused({ task: 'classify', documents: nerDocs.slice(0, 20), name: 'nolabels' }, /None of the 20 notes has a document label/);
    await refused({ task: 'ner', documents: noteDocs.slice(0, 20), name: 'nospans' }, /None of the 20 notes has entity spans/);
    await refused({ task: 'ner', documents: nerDocs.slice(0, 20).map((d) => ({ ...d, spans: [] })), name: 'nothing' }, /no usable entity spans/);
    await refused({ task: 'ner', documents: nerDocs, name: 'entities-taken', layers: 9 }, /Layers \(the encoder has 3\) must be a whole number from 1 to 3/);
    await refused({ task: 'ner', documents: nerDocs, name: '../escape' }, /not a usable head name/);
    await train(e, { task: 'ner', documents: nerDocs.slice(0, 20), name: 'taken', epochs: 1 });
    await refused({ task: 'ner', documents: nerDocs.slice(0, 20), name: 'taken', epochs: 1 }, /already has a head named "taken"/);
    const replaced = await train(e, { task: 'ner', documents: nerDocs.slice(0, 30), name: 'taken', epochs: 1, replace: true });
    assert.equal(replaced.metrics.split.train + replaced.metrics.split.dev + replaced.metrics.split.test, 30);
    assert.ok(!headsListing().some((n) => n.startsWith('.')));
    await assert.rejects(e.call('train.evaluate', { head: 'nope', documents: nerDocs }, directContext()), (err: unknown) => err instanceof EngineError && err.code === 'bad-input' && /no usable task head "nope"/.test(err.message));
  } finally {
    await e.dispose();
  }
});

test('given dev and test sets are used as they are, and cmb eval\'s path (encoder + ONNX head) gives the trainer\'s test figures', async () => {
  const testFile = join(root, 'test.jsonl');
  const devFile = join(root, 'dev.jsonl');
  writeJsonl(testFile, nerDocuments(25, 99));
  writeJsonl(devFile, nerDocuments(15, 98));
  let e = await engine();
  let r: TrainResult;
  try {
    r = await train(e, { task: 'ner', documents: nerDocs.slice(0, 8), dev: [devFile], test: [testFile], name: 'given-splits', ...fastNer, epochs: 5 });
  } finally {
    await e.dispose();
  }
  assert.deepEqual(r.metrics.split, { seed: 13, train: 8, dev: 15, test: 25, dev_given: true, test_given: true });
  e = await engine();
  try {
    const ev = await e.call('train.evaluate', { head: 'given-splits', data: [testFile] }, directContext());
    assert.deepEqual(ev.figures, r.metrics.test);
    assert.equal(ev.demo, true);
  } finally {
    await e.dispose();
  }
});

test('split by note: seeded 80/10/10, disjoint and complete; 1/9 each when one set is given', () => {
  const s = splitNotes(100, 7, false, false);
  assert.deepEqual([s.train.length, s.dev.length, s.test.length], [80, 10, 10]);
  assert.deepEqual([...s.train, ...s.dev, ...s.test].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(splitNotes(100, 7, false, false), s);
  assert.notDeepEqual(splitNotes(100, 8, false, false).test, s.test);
  const devGiven = splitNotes(90, 1, true, false);
  assert.deepEqual([devGiven.train.length, devGiven.dev.length, devGiven.test.length], [80, 0, 10]);
  const small = splitNotes(10, 1, false, false);
  assert.deepEqual([small.dev.length, small.test.length], [1, 1]);
});
