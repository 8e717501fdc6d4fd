import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../src/engineClient';
import { EngineError } from '../../src/engine/errors';
import { defaultEngineSettings } from '../../src/engine/coreProtocol';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';

// The engine as the extension runs it: the bundled worker behind the client.
const workerPath = path.resolve(__dirname, '..', '..', 'dist', 'engineWorker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-worker-'));
const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const, windowTokens: 16, windowStride: 4 };

function client() {
  const logs: string[] = [];
  const c = new EngineClient(workerPath, { log: (_l, m) => logs.push(m), crashed: () => undefined }, { storageDir: tmp });
  return { c, logs };
}

test('the worker converts, loads and embeds a safetensors model, reporting progress', async () => {
  const dir = path.join(tmp, 'modernbert');
  makeTestModelFolder({ arch: 'modernbert', head: 'sequence', out: dir });
  const { c, logs } = client();
  const progress: string[] = [];
  const info = await c.request('model.load', { path: dir, settings }, { onProgress: (p) => progress.push(p.message) });
  assert.equal(info.architecture, 'modernbert');
  assert.equal(info.provider, 'cpu');
  assert.equal(info.demo, true);
  assert.equal(info.windowTokens, 16);
  assert.deepEqual(info.labels, ['discharge_summary', 'radiology', 'progress_note']);
  // precision auto on the CPU: the int8 variant, converted and cached beside the checkpoint under optimum's name
  assert.equal(info.precision, 'int8');
  assert.equal(info.onnxPath, path.join(dir, 'onnx', 'model_quantized.onnx'));
  assert.ok(fs.existsSync(info.onnxPath), 'converted ONNX cached beside the checkpoint');
  assert.ok(progress.length > 0);
  assert.ok(logs.some((l) => /Loaded modernbert model/.test(l)));

  // a long note spans several 16-token windows; its embedding is still one unit vector
  const long = 'Patient denies chest pain. Metformin 500 mg PO BID. '.repeat(12);
  const r = await c.request('embed', { texts: [long, 'BP 120/80', ''] });
  assert.equal(r.embeddings.length, 3);
  assert.ok(r.embeddings[0] instanceof Float32Array);
  assert.equal(r.dims, info.hidden);
  assert.ok(r.tokens[0] > 16);
  for (const v of r.embeddings) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);

  const [t] = await c.request('text.tokenize', { texts: ['é 🫀'] });
  assert.equal(t.ids.length, t.offsets.length);
  await c.dispose();
});

test('the same text embeds the same, alone or in a batch with longer texts', async () => {
  const dir = path.join(tmp, 'bert');
  makeTestModelFolder({ arch: 'bert', out: dir });
  const { c } = client();
  const embedAloneAndBatched = async () => {
    const a = await c.request('embed', { texts: ['Hx of DM2 on insulin'] });
    const b = await c.request('embed', { texts: ['Hx of DM2 on insulin', 'Long discharge summary text. '.repeat(20)] });
    return Math.max(...Array.from(a.embeddings[0], (x, i) => Math.abs(x - b.embeddings[0][i])));
  };
  await c.request('model.load', { path: dir, settings: { ...settings, windowTokens: 512, precision: 'fp32' } });
  const diff = await embedAloneAndBatched();
  assert.ok(diff < 1e-5, `padding changed the embedding by ${diff}`);
  // int8 quantizes activations per batch, so a batch companion moves the embedding a little, never by more than int8's own error
  await c.request('model.load', { path: dir, settings: { ...settings, windowTokens: 512, precision: 'int8' } });
  const diff8 = await embedAloneAndBatched();
  assert.ok(diff8 < 1e-3, `padding changed the int8 embedding by ${diff8}`);
  await c.dispose();
});

test('requests without a model, and broken model folders, fail with actionable errors', async () => {
  const { c } = client();
  await assert.rejects(c.request('embed', { texts: ['x'] }), (e: unknown) => e instanceof EngineError && e.code === 'not-loaded' && /Choose Model Folder/.test(e.message));
  await assert.rejects(c.request('model.load', { path: path.join(tmp, 'nope'), settings }), (e: unknown) => e instanceof EngineError && e.code === 'missing-file');
  const corrupt = path.join(tmp, 'corrupt');
  makeTestModelFolder({ arch: 'bert', out: corrupt });
  const st = path.join(corrupt, 'model.safetensors');
  fs.truncateSync(st, Math.floor(fs.statSync(st).size / 2));
  await assert.rejects(c.request('model.load', { path: corrupt, settings }), (e: unknown) => e instanceof EngineError && e.code === 'corrupt-weights');
  // the worker survived both
  assert.equal(await c.request('model.info', {}), null);
  await c.dispose();
});

test('an embed request can be cancelled between batches', async () => {
  const dir = path.join(tmp, 'cancel');
  makeTestModelFolder({ arch: 'bert', out: dir });
  const { c } = client();
  await c.request('model.load', { path: dir, settings: { ...settings, batchSize: 1 } });
  const ac = new AbortController();
  const texts = Array.from({ length: 400 }, (_, i) => `note ${i} `.repeat(40));
  const p = c.request('embed', { texts }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  await assert.rejects(p, (e: unknown) => e instanceof EngineError && e.code === 'cancelled');
  // and the engine still answers afterwards
  const r = await c.request('embed', { texts: ['after'] });
  assert.equal(r.embeddings.length, 1);
  await c.dispose();
});
