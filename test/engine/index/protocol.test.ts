import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSearchHandlers, defaultDbPath } from '../../../src/engine/index/handlers';
import type { EngineHost } from '../../../src/engine/host';
import type { RequestContext } from '../../../src/engine/handlers';
import type { Progress } from '../../../src/engine/protocol';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { EngineError } from '../../../src/engine/errors';
import { clinicalNotes, tempWorkspace } from './notesFixture';
import { fakeEmbedder } from './fakeEmbedder';

function host(storage: string): EngineHost & { logs: string[] } {
  const logs: string[] = [];
  return {
    logs,
    settings: () => defaultEngineSettings,
    model: () => {
      throw new EngineError('not-loaded', 'No model is loaded.');
    },
    storageDir: () => storage,
    log: (_l, m) => logs.push(m),
  };
}

function ctx(): RequestContext & { progressed: Progress[] } {
  const progressed: Progress[] = [];
  return { signal: new AbortController().signal, progress: (p) => progressed.push(p), log: () => undefined, transfer: () => undefined, progressed };
}

function setup(t: { after(fn: () => unknown): void }, makeEmbedder: () => ReturnType<typeof fakeEmbedder>) {
  const ws = tempWorkspace();
  for (const [p, c] of Object.entries(clinicalNotes)) ws.write(p, c);
  const h = host(join(ws.root, 'storage'));
  const handlers = createSearchHandlers(h, makeEmbedder);
  t.after(async () => {
    await handlers.closeAll();
    ws.cleanup();
  });
  return { ws, h, handlers };
}

test('update, search, similar and stats through the engine methods', async (t) => {
  const { ws, handlers } = setup(t, () => fakeEmbedder());
  const c = ctx();
  const u = await handlers['index.update']({ folder: ws.notes }, c);
  assert.equal(u.indexed, 6);
  assert.equal(u.dbPath, defaultDbPath(join(ws.root, 'storage'), ws.notes));
  assert.ok(existsSync(u.dbPath));
  assert.ok(c.progressed.some((p) => /6 notes scanned, 6 indexed/.test(p.message)));
  const s = await handlers['index.search']({ folder: ws.notes, query: 'amiodarone', k: 3 }, ctx());
  assert.equal(s.results[0].path, 'cardiology/afib.txt');
  assert.ok(s.results.length <= 3);
  const sim = await handlers['index.similar']({ folder: ws.notes, text: clinicalNotes['ortho/hip.txt'], excludePath: join(ws.notes, 'ortho/hip.txt') }, ctx());
  assert.ok(!sim.results.some((r) => r.path === 'ortho/hip.txt'));
  const st = await handlers['index.stats']({ folder: ws.notes }, ctx());
  assert.equal(st.documents, 6);
  assert.equal(st.lexicalOnly, false);
  assert.ok(st.bytes > 0);
  assert.equal(st.dims, 256);
});

test('without a model the index is lexical only and results say why', async (t) => {
  const { ws, handlers } = setup(t, () => {
    throw new EngineError('not-loaded', 'No model is loaded.');
  });
  const u = await handlers['index.update']({ folder: ws.notes }, ctx());
  assert.equal(u.lexicalOnly, true);
  const s = await handlers['index.search']({ folder: ws.notes, query: 'amiodarone' }, ctx());
  assert.equal(s.lexicalOnly, true);
  assert.match(s.reason ?? '', /No model/);
  assert.equal(s.results[0].path, 'cardiology/afib.txt');
});

test('rebuild starts from an empty index; concurrent updates do not double-index', async (t) => {
  const { ws, handlers } = setup(t, () => fakeEmbedder());
  const [a, b] = await Promise.all([handlers['index.update']({ folder: ws.notes }, ctx()), handlers['index.update']({ folder: ws.notes }, ctx())]);
  assert.equal(a.indexed + b.indexed, 6);
  const r = await handlers['index.rebuild']({ folder: ws.notes }, ctx());
  assert.equal(r.indexed, 6);
  assert.equal((await handlers['index.stats']({ folder: ws.notes }, ctx())).documents, 6);
});

test('bad params are refused with clear errors', async (t) => {
  const { ws, handlers } = setup(t, () => fakeEmbedder());
  const isBadInput = (e: unknown) => e instanceof EngineError && e.code === 'bad-input';
  await assert.rejects(handlers['index.search']({ folder: '', query: 'x' }, ctx()), isBadInput);
  await assert.rejects(handlers['index.search']({ folder: ws.notes, query: 42 as unknown as string }, ctx()), isBadInput);
  await assert.rejects(handlers['index.similar']({ folder: ws.notes, text: undefined as unknown as string }, ctx()), isBadInput);
  await assert.rejects(handlers['index.update']({ folder: ws.notes, dbPath: join(ws.notes, 'x.sqlite') }, ctx()), isBadInput);
  await assert.rejects(handlers['index.update']({ folder: join(ws.root, 'missing') }, ctx()), isBadInput);
  await assert.rejects(handlers['index.update']({ folder: ws.notes, include: '**/*.txt' as unknown as string[] }, ctx()), isBadInput);
  await assert.rejects(handlers['index.update']({ folder: ws.notes, exclude: [42] as unknown as string[] }, ctx()), isBadInput);
  // globs from workspace settings: over-long ones are refused before the walk, not matched
  await assert.rejects(handlers['index.update']({ folder: ws.notes, include: ['*a'.repeat(300)] }, ctx()), isBadInput);
  await assert.rejects(handlers['index.search']({ folder: ws.notes, query: 'x', pathGlob: '*a'.repeat(300) }, ctx()), isBadInput);
});
