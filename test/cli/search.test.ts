import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDbPath } from '../../src/engine/index/handlers';
import { IndexStore } from '../../src/engine/index/store';
import { cliDefaultDbPath, loadModelEmbedder, runIndex, runSearch, type SearchCliHooks, type SearchCliIo } from '../../src/cli/search';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { clinicalNotes, tempWorkspace } from '../engine/index/notesFixture';
import { fakeEmbedder } from '../engine/index/fakeEmbedder';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) } satisfies SearchCliIo };
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
  const hook: SearchCliHooks = {
    loadEmbedder: async (dir, settings) => {
      loaded.push(`${dir} window=${settings.windowTokens}`);
      return fakeEmbedder();
    },
  };
  assert.equal(await runIndex([ws.notes, '--model', 'some/model', '--window', '256', '--db', ws.db], io().io, hook), 0);
  assert.match(loaded[0], /some\/model window=256$/);
  const b = io();
  assert.equal(await runSearch([ws.notes, 'amiodarone', '--model', 'some/model', '--db', ws.db], b.io, hook), 0);
  const text = b.out.join('');
  assert.match(text, /^1\. cardiology\/afib\.txt:0-\d+ {2}\[lexical\+semantic\]/m);
  assert.match(text, /\*amiodarone\*/);
  const sim = io();
  assert.equal(await runSearch([ws.notes, '--similar-to', join(ws.notes, 'ortho/hip.txt'), '--model', 'm', '--db', ws.db, '--json'], sim.io, hook), 0);
  const paths = JSON.parse(sim.out.join('')).results.map((r: { path: string }) => r.path);
  assert.equal(paths[0], 'ortho/wrist.txt');
  assert.ok(!paths.includes('ortho/hip.txt'));
});

test('usage errors exit 2 with the usage line; a bad model folder is explained', async (t) => {
  const ws = workspace(t);
  for (const args of [[], [ws.notes], [ws.notes, 'q', '--k', '0'], [ws.notes, 'q', '--k'], [ws.notes, 'q', '--bogus']]) {
    const x = io();
    assert.equal(await runSearch(args, x.io), 2, JSON.stringify(args));
    assert.match(x.err.join(''), /usage: cmb search/);
  }
  const y = io();
  assert.equal(await runIndex([ws.notes, '--model', join(ws.root, 'no-model'), '--db', ws.db], y.io), 1);
  assert.match(y.err.join(''), /^cmb: /);
  const p = io();
  assert.equal(await runIndex([ws.notes, '--model', 'm', '--pooling', 'max', '--db', ws.db], p.io), 2);
  assert.match(p.err.join(''), /--pooling must be mean or cls/);
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

test('with a real (tiny, random-weight) model: passages are model windows, the demo flag makes the index lexical only', async (t) => {
  const ws = workspace(t);
  const modelDir = join(ws.root, 'tiny-model');
  makeTestModelFolder({ arch: 'bert', out: modelDir });
  const a = io();
  assert.equal(await runIndex([ws.notes, '--model', modelDir, '--db', ws.db, '--json'], a.io), 0, a.err.join('\n'));
  assert.match(a.err.join('\n'), /demo or random-weight/);
  assert.equal(JSON.parse(a.out.join('')).lexicalOnly, true);

  // the same model treated as real: vectors from the engine's embed, offsets from its windows
  const asReal: SearchCliHooks = { loadEmbedder: async (dir, s) => ({ ...(await loadModelEmbedder(dir, s)), demo: false }) };
  const db2 = join(ws.root, 'storage', 'real.sqlite');
  const b = io();
  assert.equal(await runIndex([ws.notes, '--model', modelDir, '--window', '32', '--stride', '8', '--db', db2, '--json'], b.io, asReal), 0, b.err.join('\n'));
  const r = JSON.parse(b.out.join(''));
  assert.equal(r.lexicalOnly, false);
  assert.ok(r.chunks > 6, 'short windows split the notes');
  const c = io();
  assert.equal(await runSearch([ws.notes, 'amiodarone infusion', '--model', modelDir, '--window', '32', '--stride', '8', '--db', db2, '--json'], c.io, asReal), 0, c.err.join('\n'));
  const res = JSON.parse(c.out.join(''));
  assert.equal(res.lexicalOnly, false);
  assert.ok(res.results.some((x: { rankers: string[] }) => x.rankers.includes('semantic')));
  for (const x of res.results) {
    const text = clinicalNotes[x.path];
    assert.ok(x.start >= 0 && x.end <= text.length && x.start < x.end);
    assert.equal(text.slice(x.snippetStart, x.snippetStart + x.snippet.length), x.snippet);
  }
});

test('without --db the CLI uses the engine\'s file for the folder, under CMB_STORAGE_DIR', async (t) => {
  const ws = workspace(t);
  const before = process.env.CMB_STORAGE_DIR;
  process.env.CMB_STORAGE_DIR = join(ws.root, 'cmb-storage');
  t.after(() => {
    if (before === undefined) delete process.env.CMB_STORAGE_DIR;
    else process.env.CMB_STORAGE_DIR = before;
  });
  const a = io();
  assert.equal(await runIndex([ws.notes], a.io), 0);
  const expected = defaultDbPath(join(ws.root, 'cmb-storage'), ws.notes);
  assert.equal(cliDefaultDbPath(ws.notes), expected);
  assert.ok(existsSync(expected));
  assert.match(a.out.join(''), new RegExp(`Index: ${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('a hostile --glob answers at once; an over-long one is refused with exit 2', { timeout: 120_000 }, async (t) => {
  const ws = workspace(t);
  ws.write(`${'a'.repeat(200)}.txt`, 'amiodarone started');
  assert.equal(await runIndex([ws.notes, '--db', ws.db], io().io), 0);
  // a backtracking matcher spun for minutes on this pattern and name
  const x = io();
  assert.equal(await runSearch([ws.notes, 'amiodarone', '--db', ws.db, '--json', '--glob', '*a*a*a*a*a*a*a*a*a*a*a*a*a*b'], x.io), 0);
  assert.deepEqual(JSON.parse(x.out.join('')).results, []);
  for (const args of [[ws.notes, 'q', '--db', ws.db, '--glob', 'a'.repeat(501)], [ws.notes, 'q', '--db', ws.db, '--glob', '*'.repeat(600)]]) {
    const y = io();
    assert.equal(await runSearch(args, y.io), 2);
    assert.match(y.err.join(''), /--glob takes a pattern of at most 500 characters/);
  }
  const z = io();
  assert.equal(await runIndex([ws.notes, '--db', ws.db, '--exclude', '{'.repeat(501)], z.io), 2);
  assert.match(z.err.join(''), /--exclude takes a pattern/);
});

test('cmb index without --model refuses to drop the vectors of an index built with a model; --rebuild does it on purpose', async (t) => {
  const ws = workspace(t);
  const modelDir = join(ws.root, 'models', 'clinical');
  const hook: SearchCliHooks = { loadEmbedder: async (dir) => ({ ...fakeEmbedder(), source: dir }) };
  assert.equal(await runIndex([ws.notes, '--model', modelDir, '--db', ws.db], io().io, hook), 0);
  const stats = async () => {
    const { store } = await IndexStore.open(ws.db);
    const c = await store.counts();
    await store.close();
    return c;
  };
  const vectors = (await stats()).vectors;
  assert.ok(vectors >= 6);
  const a = io();
  assert.equal(await runIndex([ws.notes, '--db', ws.db], a.io), 1);
  const line = a.err.filter((l) => l.startsWith('cmb: '));
  assert.equal(line.length, 1);
  assert.match(line[0], new RegExp(`built with the model in ${modelDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; give --model .* or --rebuild`));
  assert.equal((await stats()).vectors, vectors, 'the vectors are still there');
  const s = io();
  assert.equal(await runSearch([ws.notes, 'amiodarone', '--db', ws.db, '--json'], s.io), 0);
  assert.match(JSON.parse(s.out.join('')).reason, /built with the model in .*give --model/);
  const b = io();
  assert.equal(await runIndex([ws.notes, '--db', ws.db, '--rebuild', '--json'], b.io), 0, b.err.join('\n'));
  assert.equal(JSON.parse(b.out.join('')).indexed, 6);
  assert.equal((await stats()).vectors, 0);
  const c = io();
  assert.equal(await runSearch([ws.notes, 'q', '--db', ws.db, '--rebuild'], c.io), 2, 'search has no --rebuild');
});
