import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, promises as fsp, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexFolder, type IndexOptions } from '../../../src/engine/index/indexer';
import { lexicalOnlyEmbedder } from '../../../src/engine/index/wordChunker';
import type { ChunkEmbedder } from '../../../src/engine/index/embedder';
import { IndexStore } from '../../../src/engine/index/store';
import { EngineError } from '../../../src/engine/errors';
import { clinicalNotes, tempWorkspace, type TempWorkspace } from './notesFixture';
import { fakeEmbedder } from './fakeEmbedder';

async function setup(t: { after(fn: () => unknown): void }, notes: Record<string, string> = clinicalNotes) {
  const ws = tempWorkspace();
  for (const [p, c] of Object.entries(notes)) ws.write(p, c);
  const { store } = await IndexStore.open(ws.db, ws.notes);
  t.after(async () => {
    await store.close();
    ws.cleanup();
  });
  return { ws, store };
}

const run = (store: IndexStore, ws: TempWorkspace, e: ChunkEmbedder = fakeEmbedder(), o: Partial<IndexOptions> = {}) => indexFolder(store, e, { folder: ws.notes, ...o });

test('a folder is indexed once; a second run finds nothing changed and embeds nothing', async (t) => {
  const { ws, store } = await setup(t);
  const e = fakeEmbedder();
  const first = await run(store, ws, e);
  assert.equal(first.scanned, 6);
  assert.equal(first.indexed, 6);
  assert.equal(first.lexicalOnly, false);
  assert.ok(first.chunks >= 6);
  const texts = e.texts;
  const second = await run(store, ws, e);
  assert.equal(second.indexed, 0);
  assert.equal(second.unchanged, 6);
  assert.equal(e.texts, texts, 'no passage embedded again');
  assert.equal(await store.integrityCheck(), 'ok');
});

test('a touched file with the same bytes is not re-embedded; an edited one is, alone', async (t) => {
  const { ws, store } = await setup(t);
  const e = fakeEmbedder();
  await run(store, ws, e);
  const p = join(ws.notes, 'ortho/hip.txt');
  utimesSync(p, new Date(), new Date(Date.now() + 5000));
  const touched = await run(store, ws, e);
  assert.equal(touched.indexed, 0);
  assert.equal(touched.unchanged, 6);
  writeFileSync(join(ws.notes, 'endo/dm.txt'), 'Hypoglycaemia overnight; glargine reduced.');
  const edited = await run(store, ws, e);
  assert.equal(edited.indexed, 1);
  const chunks = await store.db.all<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = 'endo/dm.txt'");
  assert.deepEqual(chunks.map((c) => c.text), ['Hypoglycaemia overnight; glargine reduced.']);
});

test('deleted and renamed files leave no rows behind', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  rmSync(join(ws.notes, 'pulm/copd.txt'));
  renameSync(join(ws.notes, 'ortho/wrist.txt'), join(ws.notes, 'ortho/radius.txt'));
  const r = await run(store, ws);
  assert.equal(r.removed, 2);
  assert.equal(r.indexed, 1);
  const paths = (await store.documents()).map((d) => d.path).sort();
  assert.deepEqual(paths, ['cardiology/afib.txt', 'cardiology/chf.md', 'endo/dm.txt', 'ortho/hip.txt', 'ortho/radius.txt']);
  assert.equal((await store.db.get<{ n: number }>('SELECT count(*) AS n FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)'))?.n, 0);
});

test('a model change (fingerprint) re-embeds every note', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws, fakeEmbedder({ fingerprint: 'model-a' }));
  const b = fakeEmbedder({ fingerprint: 'model-b', dims: 128 });
  const r = await run(store, ws, b);
  assert.equal(r.indexed, 6);
  assert.equal((await store.meta('dims')), '128');
  assert.ok((await store.documents()).every((d) => d.fingerprint === 'model-b'));
});

test('a demo model indexes words only and embeds nothing', async (t) => {
  const { ws, store } = await setup(t);
  const e = fakeEmbedder({ demo: true });
  const r = await run(store, ws, e);
  assert.equal(r.lexicalOnly, true);
  assert.equal(r.indexed, 6);
  assert.equal(e.calls, 0);
  assert.equal((await store.counts()).vectors, 0);
});

test('include and exclude globs decide what is indexed', async (t) => {
  const { ws, store } = await setup(t);
  ws.write('node_modules/pkg/readme.md', 'not a note');
  ws.write('scan.png', 'not text');
  const r = await run(store, ws, fakeEmbedder(), { include: ['**/*.txt'], exclude: ['ortho/**', '**/node_modules/**'] });
  assert.deepEqual((await store.documents()).map((d) => d.path).sort(), ['cardiology/afib.txt', 'endo/dm.txt', 'pulm/copd.txt']);
  assert.equal(r.scanned, 3);
});

test('binary, oversize, empty, BOM and Latin-1 files', async (t) => {
  const { ws, store } = await setup(t, {});
  ws.write('binary.txt', Buffer.from([0x68, 0x69, 0x00, 0x01]));
  ws.write('big.txt', 'a '.repeat(600_000));
  ws.write('empty.txt', '');
  ws.write('blank.txt', '   \n\n ');
  ws.write('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Sepsis bundle started.')]));
  ws.write('latin1.txt', Buffer.from('Caf\xe9 au lait spots noted.', 'latin1'));
  const warnings: string[] = [];
  const r = await run(store, ws, fakeEmbedder(), { maxFileBytes: 1_000_000, log: (_l, m) => warnings.push(m) });
  assert.equal(r.skippedBinary, 1);
  assert.equal(r.skippedLarge, 1);
  assert.equal(r.latin1, 1);
  assert.ok(warnings.some((w) => w.includes('latin1.txt') && /Latin-1/.test(w)));
  assert.ok(warnings.every((w) => !w.includes('spots')), 'no note text in logs');
  const bom = await store.db.get<{ char_start: number; text: string }>("SELECT c.char_start, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = 'bom.txt'");
  assert.deepEqual(bom, { char_start: 0, text: 'Sepsis bundle started.' }, 'BOM stripped, offsets from the first character');
  const lat = await store.db.get<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = 'latin1.txt'");
  assert.equal(lat?.text, 'Café au lait spots noted.');
  const statuses = Object.fromEntries((await store.documents()).map((d) => [d.path, d.status]));
  assert.deepEqual(statuses, { 'binary.txt': 'binary', 'big.txt': 'too-large', 'empty.txt': 'empty', 'blank.txt': 'empty', 'bom.txt': 'indexed', 'latin1.txt': 'indexed' });
  const again = await run(store, ws, fakeEmbedder(), { maxFileBytes: 1_000_000 });
  assert.equal(again.skippedBinary, 1, 'skips are still counted on unchanged files');
  assert.equal(again.skippedLarge, 1);
  assert.equal(again.indexed, 0);
  const raised = await run(store, ws, fakeEmbedder(), { maxFileBytes: 5_000_000 });
  assert.equal(raised.skippedLarge, 0, 'a higher limit takes the big file in');
  assert.equal(raised.indexed, 1);
  const lowered = await run(store, ws, fakeEmbedder(), { maxFileBytes: 10 });
  assert.equal(lowered.skippedLarge, 3, 'a lower limit drops the big file and the two notes over 10 bytes');
  assert.equal((await store.document('big.txt'))?.status, 'too-large');
});

test('a megabyte line is indexed with offsets true to the text', async (t) => {
  const { ws, store } = await setup(t, {});
  const line = 'x'.repeat(1_500_000) + ' amiodarone';
  ws.write('long.txt', line);
  const r = await run(store, ws);
  assert.equal(r.indexed, 1);
  const rows = await store.db.all<{ char_start: number; char_end: number; text: string }>('SELECT char_start, char_end, text FROM chunks');
  for (const c of rows.slice(0, 50)) assert.equal(c.text, line.slice(c.char_start, c.char_end));
  assert.equal(rows.at(-1)?.char_end, line.length);
});

test('symlink loops end: each note is indexed once; a link to itself is counted as unreadable', async (t) => {
  const { ws, store } = await setup(t);
  mkdirSync(join(ws.notes, 'loop'));
  symlinkSync(ws.notes, join(ws.notes, 'loop', 'back'));
  symlinkSync(join(ws.notes, 'self.txt'), join(ws.notes, 'self.txt'), 'file');
  symlinkSync(join(ws.notes, 'cardiology'), join(ws.notes, 'cardio-link'));
  const r = await run(store, ws);
  assert.equal(r.indexed, 6, 'each note once, though the loop reaches them again');
  assert.equal(r.unreadable, 1, 'the self-link (ELOOP)');
  assert.ok(!(await store.documents()).some((d) => d.path.startsWith('loop/') || d.path.startsWith('cardio-link/')), 'notes keep their real paths');
});

test('unreadable files and folders are skipped and counted', { skip: process.getuid?.() === 0 ? 'running as root, which reads every file' : false }, async (t) => {
  const { ws, store } = await setup(t);
  const secret = ws.write('secret.txt', 'private');
  chmodSync(secret, 0o000);
  mkdirSync(join(ws.notes, 'locked'));
  ws.write('locked/x.txt', 'x');
  chmodSync(join(ws.notes, 'locked'), 0o000);
  t.after(() => {
    chmodSync(join(ws.notes, 'locked'), 0o700);
  });
  const r = await run(store, ws);
  assert.equal(r.indexed, 6);
  assert.equal(r.unreadable, 2, 'unreadable file, unlistable folder');
});

test('a file that cannot be read is counted, logged by path only, and the run goes on', async (t) => {
  const { ws, store } = await setup(t);
  // the note becomes a folder after the walk saw a file, so reading it fails (EISDIR) whoever runs the test
  const victim = join(ws.notes, 'cardiology/chf.md');
  const e = fakeEmbedder();
  const embed = e.embed.bind(e);
  let swapped = false;
  e.embed = async (texts, signal) => {
    if (!swapped) {
      swapped = true;
      rmSync(victim);
      mkdirSync(victim);
    }
    return embed(texts, signal);
  };
  const warnings: string[] = [];
  const r = await run(store, ws, e, { log: (_l, m) => warnings.push(m) });
  assert.equal(r.unreadable, 1);
  assert.equal(r.indexed, 5);
  assert.ok(warnings.some((w) => w.includes('cardiology/chf.md') && /EISDIR/.test(w)));
  assert.ok(warnings.every((w) => !w.includes('Furosemide')), 'no note text in logs');
});

test('a file changed while it is being indexed is picked up by the next run', async (t) => {
  const { ws, store } = await setup(t, { 'a.txt': 'first version' });
  // the embedder rewrites the file mid-run, as an editor would
  const e = fakeEmbedder();
  const embed = e.embed.bind(e);
  let changed = false;
  e.embed = async (texts, signal) => {
    if (!changed && texts.includes('short')) {
      changed = true;
      writeFileSync(join(ws.notes, 'b.txt'), 'written during indexing, longer than before');
    }
    return embed(texts, signal);
  };
  ws.write('b.txt', 'short');
  await run(store, ws, e);
  assert.ok(changed);
  const r = await run(store, ws);
  assert.equal(r.indexed, 1, 'the final version is picked up');
  const rows = await store.db.all<{ text: string }>("SELECT c.text FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE d.path = 'b.txt'");
  assert.deepEqual(rows.map((x) => x.text), ['written during indexing, longer than before']);
});

test('watcher mode: only the given paths; deleted ones and deleted folders are removed', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  ws.write('cardiology/new.txt', 'Palpitations at night.');
  rmSync(join(ws.notes, 'ortho'), { recursive: true });
  const r = await run(store, ws, fakeEmbedder(), { paths: [join(ws.notes, 'cardiology/new.txt'), 'ortho', '../outside.txt'] });
  assert.equal(r.scanned, 1);
  assert.equal(r.indexed, 1);
  assert.equal(r.removed, 2);
  assert.ok(!(await store.documents()).some((d) => d.path.startsWith('ortho/')));
});

test('cancel stops the run; a rerun completes it', async (t) => {
  const notes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`n${String(i).padStart(2, '0')}.txt`, `note ${i} about sepsis`]));
  const { ws, store } = await setup(t, notes);
  const ac = new AbortController();
  const progress: number[] = [];
  const e = fakeEmbedder();
  const embed = e.embed.bind(e);
  // the user presses Cancel while the sixth note is being embedded
  e.embed = async (texts, signal) => {
    if (e.calls === 5) ac.abort();
    return embed(texts, signal);
  };
  const r = await run(store, ws, e, { signal: ac.signal, onProgress: (c) => progress.push(c.indexed) });
  assert.equal(r.cancelled, true);
  assert.equal(r.indexed, 5);
  assert.ok(progress.length > 0, 'a final progress report');
  const rest = await run(store, ws);
  assert.equal(rest.indexed + r.indexed, 30);
  assert.equal((await store.counts()).documents, 30);
});

test('a missing notes folder is a clear error', async (t) => {
  const { ws, store } = await setup(t, {});
  await assert.rejects(indexFolder(store, fakeEmbedder(), { folder: join(ws.root, 'nope') }), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});

/** makes the file system fail for one path, as a network drive that is briefly away does */
function failFor(t: { mock: { method: (o: object, m: string, impl: (...a: never[]) => unknown) => unknown } }, method: 'readdir' | 'stat', target: string, code = 'EIO') {
  const original = fsp[method].bind(fsp) as (...a: unknown[]) => Promise<unknown>;
  t.mock.method(fsp, method, (p: string, ...rest: unknown[]) =>
    String(p) === target ? Promise.reject(Object.assign(new Error(`${code}: i/o error, ${method} '${p}'`), { code })) : original(p, ...rest),
  );
}

test('a folder that cannot be listed for now keeps its notes, counted as not checked', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  failFor(t, 'readdir', join(ws.notes, 'cardiology'));
  const warnings: string[] = [];
  const r = await run(store, ws, fakeEmbedder(), { log: (_l, m) => warnings.push(m) });
  assert.equal(r.removed, 0, 'nothing removed because a folder was briefly unreadable');
  assert.equal(r.notChecked, 2);
  assert.equal(r.unreadable, 1);
  assert.equal((await store.counts()).documents, 6);
  assert.ok(warnings.some((w) => w.includes('cardiology') && /EIO/.test(w) && /kept/.test(w)));
});

test('the notes folder itself unreadable for a moment keeps every note', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  failFor(t, 'readdir', ws.notes, 'EACCES');
  const r = await run(store, ws);
  assert.equal(r.removed, 0);
  assert.equal(r.notChecked, 6);
  assert.equal((await store.counts()).documents, 6);
});

test('a note that cannot be looked at (EIO on stat) is kept, in a full run and from the watcher', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  failFor(t, 'stat', join(ws.notes, 'ortho/hip.txt'));
  const full = await run(store, ws);
  assert.equal(full.removed, 0);
  assert.equal(full.notChecked, 1);
  const watched = await run(store, ws, fakeEmbedder(), { paths: [join(ws.notes, 'ortho/hip.txt')] });
  assert.equal(watched.removed, 0);
  assert.ok(await store.document('ortho/hip.txt'));
  // a folder the watcher reports, unreadable for now, keeps its notes too
  failFor(t, 'stat', join(ws.notes, 'endo'));
  assert.equal((await run(store, ws, fakeEmbedder(), { paths: ['endo'] })).removed, 0);
  assert.ok(await store.document('endo/dm.txt'));
});

test('names that are not valid UTF-8 are counted and reported, not silently passed over', async (t) => {
  const { ws, store } = await setup(t);
  const badFile = Buffer.concat([Buffer.from(join(ws.notes, 'cardiology') + '/'), Buffer.from([0x65, 0x63, 0x67, 0xe9, 0x2e, 0x74, 0x78, 0x74])]); // "ecg\xe9.txt" in Latin-1
  writeFileSync(badFile, 'Sinus rhythm.');
  const badDir = Buffer.concat([Buffer.from(ws.notes + '/'), Buffer.from([0x66, 0xff])]);
  mkdirSync(badDir);
  writeFileSync(Buffer.concat([badDir, Buffer.from('/inside.txt')]), 'Unreachable by name.');
  const warnings: string[] = [];
  const r = await run(store, ws, fakeEmbedder(), { log: (_l, m) => warnings.push(m) });
  assert.equal(r.indexed, 6, 'the other notes are indexed');
  assert.equal(r.badNames, 2, 'the file and the folder');
  assert.equal(warnings.filter((w) => /not valid UTF-8.*rename it/.test(w)).length, 2);
  assert.ok(warnings.some((w) => w.includes('cardiology')));
  assert.ok(warnings.every((w) => !w.includes('Sinus') && !w.includes('Unreachable')), 'no note text in logs');
  assert.equal((await run(store, ws)).badNames, 2, 'counted on every run');
});

test('an index built with a model is not emptied of its vectors by a run without one', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws, { ...fakeEmbedder(), source: '/models/clinical-modernbert' });
  const vectors = (await store.counts()).vectors;
  assert.ok(vectors >= 6);
  for (const without of [lexicalOnlyEmbedder(), fakeEmbedder({ demo: true, fingerprint: 'demo' })]) {
    await assert.rejects(run(store, ws, without), (e: unknown) => e instanceof EngineError && /built with the model in \/models\/clinical-modernbert/.test(e.message) && /rebuild/.test(e.message));
    await assert.rejects(run(store, ws, without, { paths: ['endo/dm.txt'] }), EngineError, 'the watcher too');
  }
  assert.equal((await store.counts()).vectors, vectors, 'vectors kept');
  const rebuilt = await run(store, ws, lexicalOnlyEmbedder(), { dropVectors: true });
  assert.equal(rebuilt.indexed, 6, 'a rebuild the user asked for goes ahead');
  assert.equal((await store.counts()).vectors, 0);
});

test('a full disk stops the run with one error; the index stays consistent and a rerun finishes', async (t) => {
  const { ws, store } = await setup(t);
  await run(store, ws);
  for (let i = 0; i < 30; i++) ws.write(`more/n${i}.txt`, `Note ${i}: ` + 'chest pain assessed, troponin negative. '.repeat(60));
  // sqlite answers SQLITE_FULL past max_page_count, as it does when the disk is full
  const pages = (await store.db.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
  await store.db.exec(`PRAGMA max_page_count = ${pages + 8}`);
  const errors: string[] = [];
  await assert.rejects(run(store, ws, fakeEmbedder(), { log: (l, m) => l === 'error' && errors.push(m) }), (e: unknown) => {
    assert.ok(e instanceof EngineError);
    assert.match(e.message, /disk holding the search index .* is full: indexing stopped, and the notes indexed so far are kept/);
    assert.doesNotMatch(e.message, /SQLITE_|\n/);
    return true;
  });
  assert.deepEqual(errors, [], 'no error per remaining note');
  assert.equal(await store.integrityCheck(), 'ok');
  const kept = (await store.counts()).documents;
  assert.ok(kept >= 6 && kept < 36);
  await store.db.exec('PRAGMA max_page_count = 1073741823');
  const rest = await run(store, ws);
  assert.equal(rest.indexed, 36 - kept);
  assert.equal((await store.counts()).documents, 36);
});
