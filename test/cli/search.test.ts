import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runIndex, runSearch, type SearchCliIo } from '../../src/cli/search';
import { clinicalNotes, tempWorkspace } from '../engine/index/notesFixture';
import { fakeEmbedder } from '../engine/index/fakeEmbedder';

function io(extra: Partial<SearchCliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), ...extra } satisfies SearchCliIo };
}

function workspace(t: { after(fn: () => unknown): void }) {
  const ws = tempWorkspace();
  for (const [p, c] of Object.entries(clinicalNotes)) ws.write(p, c);
  t.after(ws.cleanup);
  return ws;
}

test('cmb index then cmb search --json, words only without --model', async (t) => {
  const ws = workspace(t);
  const a = io();
  assert.equal(await runIndex([ws.notes, '--db', ws.db], a.io), 0);
  assert.match(a.out.join(''), /6 notes indexed.*words only/s);
  const b = io();
  assert.equal(await runSearch([ws.notes, 'amiodarone infusion', '--db', ws.db, '--json', '--k', '2'], b.io), 0);
  const res = JSON.parse(b.out.join(''));
  assert.equal(res.lexicalOnly, true);
  assert.match(res.reason, /--model/);
  assert.ok(res.results.length <= 2);
  const top = res.results[0];
  assert.equal(top.path, 'cardiology/afib.txt');
  assert.equal(top.file, join(ws.notes, 'cardiology/afib.txt'));
  assert.deepEqual(top.rankers, ['lexical']);
  assert.equal(typeof top.score, 'number');
  assert.equal(clinicalNotes[top.path].slice(top.start, top.end), clinicalNotes[top.path]);
});

test('with a model hook both rankers are used and text output marks matches', async (t) => {
  const ws = workspace(t);
  const loaded: string[] = [];
  const hook = {
    loadEmbedder: async (dir: string) => {
      loaded.push(dir);
      return fakeEmbedder();
    },
  };
  assert.equal(await runIndex([ws.notes, '--model', 'some/model', '--db', ws.db], io(hook).io), 0);
  assert.ok(loaded[0].endsWith('some/model'));
  const b = io(hook);
  assert.equal(await runSearch([ws.notes, 'amiodarone', '--model', 'some/model', '--db', ws.db], b.io), 0);
  const text = b.out.join('');
  assert.match(text, /^1\. cardiology\/afib\.txt:0-\d+ {2}\[lexical\+semantic\]/m);
  assert.match(text, /\*amiodarone\*/);
  const sim = io(hook);
  assert.equal(await runSearch([ws.notes, '--similar-to', join(ws.notes, 'ortho/hip.txt'), '--model', 'm', '--db', ws.db, '--json'], sim.io), 0);
  const paths = JSON.parse(sim.out.join('')).results.map((r: { path: string }) => r.path);
  assert.equal(paths[0], 'ortho/wrist.txt');
  assert.ok(!paths.includes('ortho/hip.txt'));
});

test('usage errors exit 2 with the usage line; --model without a loader is explained', async (t) => {
  const ws = workspace(t);
  for (const args of [[], [ws.notes], [ws.notes, 'q', '--k', '0'], [ws.notes, 'q', '--k'], [ws.notes, 'q', '--bogus']]) {
    const x = io();
    assert.equal(await runSearch(args, x.io), 2, JSON.stringify(args));
    assert.match(x.err.join(''), /usage: cmb search/);
  }
  const y = io();
  assert.equal(await runIndex([ws.notes, '--model', 'm', '--db', ws.db], y.io), 1);
  assert.match(y.err.join(''), /cannot load models/);
  const z = io();
  assert.equal(await runIndex([join(ws.root, 'missing'), '--db', ws.db], z.io), 1);
  assert.match(z.err.join(''), /does not exist/);
});

test('hostile queries print results or nothing, never an SQL error', async (t) => {
  const ws = workspace(t);
  await runIndex([ws.notes, '--db', ws.db], io().io);
  for (const q of ['"', 'NEAR(', '*', 'AND OR NOT', '-x'.repeat(5000)]) {
    const x = io();
    assert.equal(await runSearch([ws.notes, '--db', ws.db, '--json', '--', q], x.io), 0);
    assert.ok(Array.isArray(JSON.parse(x.out.join('')).results));
  }
});
