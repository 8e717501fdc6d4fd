import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient } from '../../../src/engineClient';
import { EngineError } from '../../../src/engine/errors';
import { clinicalNotes, tempWorkspace } from './notesFixture';

// Search as the extension runs it: the bundled worker (sqlite3 native module, WebAssembly kernel) behind the client.
const workerPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'engineWorker.js');

test('the bundled worker indexes, searches with progress and cancel, and refuses bad input', async (t) => {
  const ws = tempWorkspace();
  t.after(ws.cleanup);
  for (const [p, c] of Object.entries(clinicalNotes)) ws.write(p, c);
  const c = new EngineClient(workerPath, { log: () => undefined, crashed: () => undefined }, { storageDir: path.join(ws.root, 'storage') });
  t.after(() => c.dispose());
  const progress: string[] = [];
  const u = await c.request('index.update', { folder: ws.notes, dbPath: ws.db }, { onProgress: (p) => progress.push(p.message) });
  assert.equal(u.indexed, 6);
  assert.ok(progress.some((m) => /6 indexed/.test(m)));
  const s = await c.request('index.search', { folder: ws.notes, dbPath: ws.db, query: 'NEAR( "amiodarone' });
  assert.equal(s.results[0].path, 'cardiology/afib.txt');
  assert.equal(s.lexicalOnly, true);
  const st = await c.request('index.stats', { folder: ws.notes, dbPath: ws.db });
  assert.equal(st.documents, 6);
  await assert.rejects(c.request('index.search', { folder: ws.notes, dbPath: path.join(ws.notes, 'in-notes.sqlite'), query: 'x' }), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(c.request('index.rebuild', { folder: ws.notes, dbPath: ws.db }, { signal: ac.signal }), (e: unknown) => e instanceof EngineError && e.code === 'cancelled');
});
