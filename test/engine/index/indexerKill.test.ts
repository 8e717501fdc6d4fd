import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { IndexStore } from '../../../src/engine/index/store';
import { indexFolder } from '../../../src/engine/index/indexer';
import { tempWorkspace } from './notesFixture';
import { fakeEmbedder } from './fakeEmbedder';

test('an indexing process killed with SIGKILL mid-run leaves a sound index that a rerun completes', async (t) => {
  const ws = tempWorkspace();
  t.after(ws.cleanup);
  const N = 40;
  const words = 'patient admitted with chest pain troponin negative discharged home follow up cardiology'.split(' ');
  for (let i = 0; i < N; i++) {
    // several passages per note, so a kill can land inside a note's embedding or its transaction
    ws.write(`n${String(i).padStart(3, '0')}.txt`, Array.from({ length: 120 }, (_, j) => words[(i + j) % words.length]).join(' '));
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'indexChild.ts'), ws.notes, ws.db, '15'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killedAt = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = [...out.matchAll(/indexed (\d+)/g)].at(-1);
      if (m && Number(m[1]) >= 8 && child.exitCode === null) {
        child.kill('SIGKILL');
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => (out.includes('done') ? reject(new Error('the child finished before it was killed')) : resolve(-1)));
  });
  await new Promise((r) => child.once('exit', r));
  assert.ok(killedAt >= 8);

  const { store } = await IndexStore.open(ws.db, ws.notes);
  t.after(() => store.close());
  assert.equal(await store.integrityCheck(), 'ok');
  const partial = await store.counts();
  assert.ok(partial.documents >= killedAt && partial.documents < N, `${partial.documents} notes survived the kill`);
  await assertNoOrphans(store);

  const r = await indexFolder(store, fakeEmbedder({ chars: 200 }), { folder: ws.notes });
  assert.equal(r.unchanged, partial.documents, 'finished notes are not redone');
  assert.equal(r.indexed, N - partial.documents);
  assert.equal((await store.counts()).documents, N);
  await assertNoOrphans(store);
  assert.equal(await store.integrityCheck(), 'ok');
  // every note's passages exactly once
  const dup = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM (SELECT doc_id, char_start FROM chunks GROUP BY doc_id, char_start HAVING count(*) > 1)');
  assert.equal(dup?.n, 0);
});

async function assertNoOrphans(store: IndexStore) {
  const q = async (sql: string) => (await store.db.get<{ n: number }>(sql))?.n;
  assert.equal(await q('SELECT count(*) AS n FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)'), 0, 'chunks without a note');
  assert.equal(await q('SELECT count(*) AS n FROM vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)'), 0, 'vectors without a passage');
  assert.equal(await q("SELECT count(*) AS n FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.status = 'indexed' AND c.id NOT IN (SELECT chunk_id FROM vectors)"), 0, 'passages without a vector');
  assert.equal(await q("SELECT count(*) AS n FROM documents WHERE status = 'indexed' AND id NOT IN (SELECT doc_id FROM chunks)"), 0, 'notes without passages');
  const fts = await q('SELECT count(*) AS n FROM chunks_fts');
  assert.equal(fts, await q('SELECT count(*) AS n FROM chunks'), 'FTS rows match passages');
  await store.db.run("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)");
}
