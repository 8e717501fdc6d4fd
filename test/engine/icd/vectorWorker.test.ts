/**
 * Suggestions and the map as the extension runs them: the bundled engine
 * worker with the tiny test model (a demo model: random weights), the UMAP
 * projection in its own thread (dist/projectionWorker.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineClient } from '../../../src/engineClient';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { RELEASE, tempDir } from './fixtures';
import { writeSyntheticRelease } from './syntheticRelease';

const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };

function client(storageDir: string): EngineClient {
  return new EngineClient(path.join(dist, 'engineWorker.js'), { log: () => undefined, crashed: () => undefined }, { storageDir });
}

test('with the tiny test model, a phrase gets the code whose description it is, from the words, and says so', async (t) => {
  const dir = tempDir('worker');
  const model = path.join(dir, 'model');
  makeTestModelFolder({ arch: 'modernbert', out: model });
  const c = client(path.join(dir, 'storage'));
  t.after(() => c.dispose());
  await c.request('model.load', { path: model, settings });
  await c.request('icd.install', { kind: 'folder', path: RELEASE });
  const r = await c.request('icd.suggest', { text: 'Type 2 diabetes mellitus without complications', systems: ['icd10cm'] });
  assert.equal(r.items[0]!.display, 'E11.9');
  assert.equal(r.items[0]!.description, 'Type 2 diabetes mellitus without complications');
  assert.deepEqual(r.items[0]!.rankers, ['words']);
  assert.equal(r.wordsOnly, true);
  assert.match(r.reason!, /demo/);
});

test('the map of a few hundred codes is projected in the worker, in its own thread, and cached', async (t) => {
  assert.ok(fs.existsSync(path.join(dist, 'projectionWorker.js')), 'the projection thread is bundled');
  const dir = tempDir('worker-map');
  const model = path.join(dir, 'model');
  makeTestModelFolder({ arch: 'bert', out: model });
  const c = client(path.join(dir, 'storage'));
  t.after(() => c.dispose());
  await c.request('model.load', { path: model, settings });
  await c.request('icd.install', { kind: 'folder', path: writeSyntheticRelease(path.join(dir, 'release'), 300) });
  const plan = await c.request('icd.embedPlan', {});
  assert.equal(plan.demo, true);
  assert.equal(plan.systems[0]!.toEmbed, 300);
  const built = await c.request('icd.embed', { systems: ['icd10cm'] });
  assert.equal(built.embedded, 300);
  const progress: string[] = [];
  const m = await c.request('icd.map', { system: 'icd10cm' }, { onProgress: (p) => progress.push(p.message) });
  assert.equal(m.codes.length, 300);
  assert.equal(m.xy.length, 600);
  assert.ok([...m.xy].every(Number.isFinite));
  assert.ok(m.xy instanceof Float32Array);
  assert.equal(m.demo, true);
  assert.ok(progress.some((p) => /Laying out the map/.test(p)), progress.join(' | '));
  const again = await c.request('icd.map', { system: 'icd10cm' });
  assert.equal(again.computed, false);
  // cancelling a projection ends it (another template: other texts, a new map)
  await c.request('icd.embed', { systems: ['icd10cm'], template: '{code} {description}' });
  const ac = new AbortController();
  const cancelled = c.request('icd.map', { system: 'icd10cm', template: '{code} {description}' }, { signal: ac.signal, onProgress: () => ac.abort() });
  await assert.rejects(cancelled, (e: unknown) => (e as { code?: string }).code === 'cancelled');
});
