import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Engine, directContext } from '../../../src/engine/engine';
import { domainHandlers } from '../../../src/engine/domains';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { clinicalNotes, tempWorkspace } from './notesFixture';

test('the engine serves the search methods: words only without a model and with a demo model', async (t) => {
  const ws = tempWorkspace();
  t.after(ws.cleanup);
  for (const [p, c] of Object.entries(clinicalNotes)) ws.write(p, c);
  const engine = new Engine({ storageDir: join(ws.root, 'storage'), log: () => undefined }, domainHandlers);
  const ctx = directContext();
  const u = await engine.call('index.update', { folder: ws.notes }, ctx);
  assert.equal(u.indexed, 6);
  assert.equal(u.lexicalOnly, true);
  const s = await engine.call('index.search', { folder: ws.notes, query: 'amiodarone' }, ctx);
  assert.match(s.reason ?? '', /No model/);
  assert.equal(s.results[0].path, 'cardiology/afib.txt');

  const modelDir = join(ws.root, 'model');
  makeTestModelFolder({ arch: 'bert', out: modelDir });
  await engine.call('model.load', { path: modelDir, settings: { ...defaultEngineSettings, executionProvider: 'cpu', windowTokens: 64 } }, ctx);
  const again = await engine.call('index.update', { folder: ws.notes }, ctx);
  assert.equal(again.indexed, 6, 'the model changed the passages: every note is redone');
  assert.equal(again.lexicalOnly, true, 'a demo model gives no vectors');
  const d = await engine.call('index.search', { folder: ws.notes, query: 'amiodarone' }, ctx);
  assert.match(d.reason ?? '', /demo/);
  const st = await engine.call('index.stats', { folder: ws.notes }, ctx);
  assert.equal(st.vectors, 0);
  assert.ok(st.fingerprint?.startsWith('model|'));
});
