import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexFolder } from '../../../src/engine/index/indexer';
import { IndexStore } from '../../../src/engine/index/store';
import { findSimilar, ftsExpression, MAX_PASSAGES_PER_NOTE, queryTerms, RRF_K, searchIndex, selectiveTerms, snippetOf } from '../../../src/engine/index/search';
import { clinicalNotes, tempWorkspace } from './notesFixture';
import { fakeEmbedder } from './fakeEmbedder';

async function indexed(t: { after(fn: () => unknown): void }, notes: Record<string, string> = clinicalNotes, e = fakeEmbedder()) {
  const ws = tempWorkspace();
  for (const [p, c] of Object.entries(notes)) ws.write(p, c);
  const { store } = await IndexStore.open(ws.db, ws.notes);
  t.after(async () => {
    await store.close();
    ws.cleanup();
  });
  await indexFolder(store, e, { folder: ws.notes });
  return { ws, store, e };
}

test('a word query finds the note by words and by meaning, with the passage and highlights', async (t) => {
  const { store, e } = await indexed(t);
  const r = await searchIndex(store, e, { query: 'amiodarone' });
  assert.equal(r.lexicalOnly, false);
  const top = r.results[0];
  assert.equal(top.path, 'cardiology/afib.txt');
  assert.deepEqual(top.rankers, ['lexical', 'semantic']);
  assert.equal(top.score, 2 / (RRF_K + 1), 'first in both rankers');
  const text = clinicalNotes['cardiology/afib.txt'];
  assert.equal(text.slice(top.passage.start, top.passage.end), text);
  assert.equal(top.highlights.length, 1);
  const [s, en] = top.highlights[0];
  assert.equal(top.snippet.slice(s, en), 'amiodarone');
  assert.equal(text.slice(top.snippetStart + s, top.snippetStart + en), 'amiodarone', 'snippetStart maps highlights into the note');
});

test('meaning without shared words: the vector ranker alone finds the note', async (t) => {
  const { store, e } = await indexed(t);
  // "afib" and "palpitations" are not in any note; the fake model maps them to the arrhythmia concept
  const r = await searchIndex(store, e, { query: 'afib palpitations' });
  assert.equal(r.results[0].path, 'cardiology/afib.txt');
  assert.deepEqual(r.results[0].rankers, ['semantic']);
  assert.deepEqual(r.results[0].highlights, []);
});

test('results are grouped by note: one result per note, best passage first', async (t) => {
  const long = Array.from({ length: 40 }, (_, i) => (i === 25 ? 'Sepsis screen positive; lactate 4.2.' : 'Routine observations stable overnight.')).join(' ');
  const { store, e } = await indexed(t, { 'a.txt': long, 'b.txt': 'No sepsis concerns today.' });
  const r = await searchIndex(store, e, { query: 'lactate sepsis' });
  assert.deepEqual(r.results.map((x) => x.path).sort(), ['a.txt', 'b.txt']);
  const a = r.results.find((x) => x.path === 'a.txt')!;
  assert.ok(long.slice(a.passage.start, a.passage.end).includes('lactate 4.2'));
  assert.ok(a.passages >= 1);
  const words = a.highlights.map(([s, en]) => a.snippet.slice(s, en).toLowerCase()).sort();
  assert.deepEqual(words, ['lactate', 'sepsis']);
});

test('a path glob filters both rankers', async (t) => {
  const { store, e } = await indexed(t);
  const r = await searchIndex(store, e, { query: 'fall fracture percent', pathGlob: 'ortho/**' });
  assert.ok(r.results.length > 0);
  assert.ok(r.results.every((x) => x.path.startsWith('ortho/')));
  const none = await searchIndex(store, e, { query: 'fracture', pathGlob: 'nowhere/**' });
  assert.deepEqual(none.results, []);
});

test('a demo model searches by words only and says so', async (t) => {
  const { store } = await indexed(t, clinicalNotes, fakeEmbedder({ demo: true }));
  const demo = fakeEmbedder({ demo: true });
  const r = await searchIndex(store, demo, { query: 'amiodarone afib' });
  assert.equal(r.lexicalOnly, true);
  assert.match(r.reason ?? '', /demo|random/);
  assert.equal(demo.calls, 0, 'the query is not embedded');
  assert.deepEqual(r.results[0].rankers, ['lexical']);
  const sim = await findSimilar(store, demo, { text: 'atrial fibrillation' });
  assert.equal(sim.lexicalOnly, true);
  assert.deepEqual(sim.results, []);
});

test('an index built with another model is searched by words until it is updated', async (t) => {
  const { store } = await indexed(t);
  const other = fakeEmbedder({ fingerprint: 'another-model' });
  const r = await searchIndex(store, other, { query: 'amiodarone' });
  assert.equal(r.lexicalOnly, true);
  assert.match(r.reason ?? '', /update the index/);
  assert.equal(r.results[0].path, 'cardiology/afib.txt');
});

test('queries of punctuation, FTS5 operators or 10k characters never raise SQL errors', async (t) => {
  const { store, e } = await indexed(t);
  const nasty = [
    '', '   ', '"', '""', "'", '*', '(', ')', '-', '+', '^', ':', 'AND', 'OR NOT', 'NEAR(a b)', 'a AND', '"unterminated', 'col:amiodarone',
    '*)(*&^%$#@!', 'amiodarone*', 'NOT amiodarone', '\u0000', '\\', "'; DROP TABLE chunks; --", 'x'.repeat(10_000),
    Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' '), '😀 🫀', 'ö"ä',
  ];
  for (const q of nasty) {
    const r = await searchIndex(store, e, { query: q });
    assert.ok(Array.isArray(r.results), JSON.stringify(q.slice(0, 20)));
  }
  const op = await searchIndex(store, e, { query: 'NOT amiodarone' });
  assert.equal(op.results[0].path, 'cardiology/afib.txt', 'NOT is a word, not an operator');
  assert.equal((await store.counts()).documents, 6);
});

test('query terms: words only, lower-cased, deduplicated, capped', () => {
  assert.deepEqual(queryTerms('Post-op AFib, on "amiodarone"!'), ['post', 'op', 'afib', 'on', 'amiodarone']);
  assert.deepEqual(queryTerms('a a A'), ['a']);
  assert.equal(queryTerms(Array.from({ length: 100 }, (_, i) => `t${i}`).join(' ')).length, 32);
  assert.equal(queryTerms('y'.repeat(500))[0].length, 64);
  assert.equal(ftsExpression(['near', 'and']), '"near" OR "and"');
});

test('find similar returns notes close in meaning, not the note itself', async (t) => {
  const { store, e } = await indexed(t);
  const r = await findSimilar(store, e, { text: clinicalNotes['ortho/hip.txt'], excludePath: 'ortho/hip.txt' });
  assert.equal(r.lexicalOnly, false);
  assert.ok(!r.results.some((x) => x.path === 'ortho/hip.txt'));
  assert.equal(r.results[0].path, 'ortho/wrist.txt', 'shares fall and the bone concept');
  assert.deepEqual(r.results[0].rankers, ['semantic']);
  assert.deepEqual((await findSimilar(store, e, { text: '   ' })).results, []);
});

test('snippets of long passages centre on the matches', () => {
  const text = 'lorem ipsum '.repeat(100) + 'the amiodarone dose was doubled ' + 'dolor sit '.repeat(100);
  const s = snippetOf(text, new Set(['amiodarone']), 120);
  assert.ok(s.text.length <= 120);
  assert.equal(s.highlights.length, 1);
  assert.equal(s.text.slice(...s.highlights[0]), 'amiodarone');
  assert.equal(text.slice(s.offset + s.highlights[0][0], s.offset + s.highlights[0][1]), 'amiodarone');
  const accents = snippetOf('Café au lait', new Set(['cafe']));
  assert.deepEqual(accents.highlights, [[0, 4]], 'accent-insensitive like FTS5');
});

test('search sees notes written after the vectors were loaded', async (t) => {
  const { ws, store, e } = await indexed(t);
  await searchIndex(store, e, { query: 'warm up the vector index' });
  ws.write('new.txt', 'Arrhythmia clinic letter.');
  await indexFolder(store, e, { folder: ws.notes, paths: ['new.txt'] });
  const r = await searchIndex(store, e, { query: 'palpitations' });
  assert.ok(r.results.some((x) => x.path === 'new.txt' && x.rankers.includes('semantic')));
});

test('words found in most passages are left out when rarer query words remain', async (t) => {
  const ws = tempWorkspace();
  const { store } = await IndexStore.open(ws.db);
  t.after(async () => {
    await store.close();
    ws.cleanup();
  });
  const e = fakeEmbedder({ demo: true });
  for (let d = 0; d < 300; d++) {
    const parts = Array.from({ length: 4 }, (_, i) => `patient seen today ${d % 5 === 0 && i === 0 ? 'troponin raised' : 'stable'} ${d}x${i}`);
    let text = '';
    const chunks = parts.map((p) => {
      const start = text.length;
      text += p + '\n';
      return { start, end: start + p.length, tokens: 5 };
    });
    await store.writeDocument({ path: `n${d}.txt`, size: 1, mtimeMs: 1, hash: String(d), fingerprint: e.fingerprint, status: 'indexed', latin1: false, text, chunks });
  }
  assert.deepEqual(await selectiveTerms(store, ['patient', 'troponin', 'nowhere']), { terms: ['troponin'], common: false });
  assert.deepEqual(await selectiveTerms(store, ['patient', 'today']), { terms: ['patient'], common: false }, 'the rarest stays when all are common');
  const r = await searchIndex(store, e, { query: 'patient troponin' });
  assert.equal(r.results.length, 10);
  for (const x of r.results) assert.ok(x.snippet.includes('troponin'));
  assert.ok(r.results.every((x) => x.highlights.every(([s, en]) => x.snippet.slice(s, en) === 'troponin')), 'only the selective word is highlighted');
});

// One long dictation (4 MB in the report; 1-2.5 MB here) and 30 short notes all say "chest pain". The passages
// used to be cut to 50 before grouping by note, so the long note took them all
// and the search returned one note.
async function crowded(t: { after(fn: () => unknown): void }, longNoteBytes: number, e = fakeEmbedder({ demo: true })) {
  const notes: Record<string, string> = {};
  const sentence = 'Chest pain again overnight, settled with rest. ';
  notes['dictation.txt'] = sentence.repeat(Math.ceil(longNoteBytes / sentence.length));
  for (let i = 0; i < 30; i++) notes[`short/n${String(i).padStart(2, '0')}.txt`] = `Seen in clinic ${i}. Chest pain on exertion, ECG normal.`;
  return indexed(t, notes, e);
}

test('a long note whose every passage matches does not crowd out the others (words in most passages: index order)', async (t) => {
  const { store, e } = await crowded(t, 2_500_000);
  const { terms, common } = await selectiveTerms(store, ['chest', 'pain']);
  assert.ok(common && terms.length === 1, 'the case where matches are taken in index order');
  const r = await searchIndex(store, e, { query: 'chest pain', k: 50 });
  assert.equal(r.results.length, 31, 'every matching note');
  assert.ok(r.results.find((x) => x.path === 'dictation.txt')!.passages <= MAX_PASSAGES_PER_NOTE);
  assert.equal((await searchIndex(store, e, { query: 'chest pain' })).results.length, 10, 'k notes by default');
  const filtered = await searchIndex(store, e, { query: 'chest pain', k: 50, pathGlob: 'short/**' });
  assert.equal(filtered.results.length, 30);
});

test('a long note whose every passage matches does not crowd out the others (BM25 order), by words and by meaning', async (t) => {
  const { store, e } = await crowded(t, 1_000_000, fakeEmbedder());
  assert.equal((await selectiveTerms(store, ['chest', 'pain'])).common, false, 'the case ranked by BM25');
  const r = await searchIndex(store, e, { query: 'chest pain', k: 50 });
  assert.equal(r.results.length, 31);
  assert.ok(r.results.every((x) => x.rankers.includes('lexical')));
  assert.ok(r.results.filter((x) => x.rankers.includes('semantic')).length > 1, 'the vector side is not one note either');
  const sim = await findSimilar(store, e, { text: 'Chest pain on exertion', k: 50 });
  assert.equal(sim.results.length, 31);
});
