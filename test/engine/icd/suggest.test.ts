import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fuseRankings, chapterText } from '../../../src/engine/icd/suggest';
import { buildStore, IcdStore, rankingStems } from '../../../src/engine/icd/store';
import { checkTemplate, codeText, DEFAULT_CODE_TEMPLATE } from '../../../src/engine/icd/codeTemplate';
import { EngineError } from '../../../src/engine/errors';
import { parseCodeFile } from '../../../src/engine/icd/codesets';
import { fixtureRecords, tempDir } from './fixtures';
import { syntheticOrderFile } from './syntheticRelease';

test('reciprocal rank fusion: a code both rankers found beats one ranked first by one; ties keep the first list order', () => {
  const fused = fuseRankings([
    { ranker: 'words', keys: ['a', 'b', 'c'] },
    { ranker: 'encoder', keys: ['c', 'd'] },
  ]);
  assert.deepEqual(fused.map((f) => f.key), ['c', 'a', 'b', 'd']);
  assert.deepEqual(fused[0]!.ranks, { words: 3, encoder: 1 });
  assert.ok(Math.abs(fused[0]!.score - (1 / 63 + 1 / 61)) < 1e-12);
  // a key repeated in one list counts once
  assert.deepEqual(fuseRankings([{ ranker: 'words', keys: ['x', 'x', 'y'] }]).map((f) => [f.key, f.ranks.words]), [['x', 1], ['y', 3]]);
  assert.deepEqual(fuseRankings([]), []);
});

test('the words of free text become quoted FTS5 stems: stop words and single letters out, suffixes cut, at most 32', () => {
  assert.deepEqual(rankingStems('Pt has Type 2 diabetic nephropathy with CKD, a'), ['type', '2', 'diabet', 'nephropath', 'ckd']);
  assert.deepEqual(rankingStems('"); DROP TABLE codes; -- NEAR( *'), ['drop', 'table', 'code', 'near']);
  assert.equal(rankingStems(Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ')).length, 32);
  assert.deepEqual(rankingStems('Ménière'), ['meniere']);
  assert.deepEqual(rankingStems('hypertension fractured infections community obesity e coli'), ['hypertens', 'fractur', 'infect', 'communit', 'obesit', 'coli']);
  assert.deepEqual(rankingStems('   '), []);
});

test('rankByWords: any word may match; codes covering the most words first, billable codes before headers', async () => {
  const file = path.join(tempDir('rank'), 'codes.sqlite');
  await buildStore(file, fixtureRecords(), { builtAt: '', source: '', files: [], counts: {}, warnings: [] });
  const store = await IcdStore.open(file);
  try {
    const exact = await store.rankByWords('type 2 diabetes mellitus without complications');
    assert.equal(exact[0]!.code, 'E119');
    assert.equal(exact[0]!.covered, exact[0]!.terms);
    // a diagnosis line with words no description has still finds the code
    const line = await store.rankByWords('Assessment: 1. Type 2 diabetic, poorly controlled, hyperglycemia');
    assert.equal(line[0]!.code, 'E1165');
    // search() wants every word; rankByWords does not
    assert.deepEqual(await store.search('fractured right femur neck'), []);
    const fx = await store.rankByWords('fractured right femur neck', { limit: 3 });
    assert.ok(fx.slice(0, 2).every((r) => r.code.startsWith('S72001')));
    assert.equal(fx[0]!.code, 'S72001A', 'the billable code before its header when both cover the same words');
    const pcs = await store.rankByWords('appendix resection', { systems: ['icd10pcs'] });
    assert.ok(pcs.length >= 2 && pcs.every((r) => r.system === 'icd10pcs'));
    assert.deepEqual(await store.rankByWords('"); DROP TABLE codes; --'), []);
    assert.deepEqual(await store.rankByWords('the of and'), []);
  } finally {
    await store.close();
  }
});

test('rankByWords: clinical shorthand and synonyms find the code sets\' wording; a word as written beats a word that shares its stem', async () => {
  // the official titles of these codes (ICD-9-CM, and one ICD-10-PCS)
  const dx = (code: string, long: string) => ({ system: 'icd9cm-dx' as const, code, billable: true, short: long, long });
  const records = [
    dx('4019', 'Unspecified essential hypertension'),
    dx('4372', 'Hypertensive encephalopathy'),
    dx('1749', 'Malignant neoplasm of breast (female), unspecified'),
    dx('V4382', 'Breast replacement'),
    dx('6119', 'Unspecified breast disorder'),
    dx('31401', 'Attention deficit disorder with hyperactivity'),
    dx('5859', 'Chronic kidney disease, unspecified'),
    dx('59000', 'Chronic pyelonephritis without lesion of renal medullary necrosis'),
    dx('7245', 'Backache, unspecified'),
    dx('78492', 'Jaw pain'),
    dx('78605', 'Shortness of breath'),
    { system: 'icd10pcs' as const, code: '5A1935Z', billable: true, short: 'Respiratory Ventilation, Less than 24 Consecutive Hours', long: 'Respiratory Ventilation, Less than 24 Consecutive Hours' },
  ];
  const file = path.join(tempDir('wording'), 'codes.sqlite');
  await buildStore(file, records, { builtAt: '', source: '', files: [], counts: {}, warnings: [] });
  const store = await IcdStore.open(file);
  try {
    const first = async (text: string) => (await store.rankByWords(text))[0]?.code;
    // before: "Breast replacement" first (no description says "cancer"); "HTN", "ADHD", "SOB" found nothing
    assert.equal(await first('breast cancer'), '1749');
    assert.equal(await first('Carcinoma of the left breast'), '1749');
    assert.equal(await first('HTN'), '4019');
    assert.equal(await first('ADHD'), '31401');
    assert.equal(await first('SOB'), '78605');
    assert.equal(await first('chronic renal insufficiency'), '5859');
    // "hypertension" is a word of 401.9 and only a stem of 437.2
    assert.equal(await first('hypertension'), '4019');
    // a description with no word the phrase lacks still comes first ("Backache" for "back pain")
    assert.equal(await first('back pain'), '7245');
    // abbreviations count in capitals only: "sob" is a word, not shortness of breath
    assert.notEqual(await first('she began to sob'), '78605');
    // a number is a word of its own: "type 2" does not find "24 hours"
    assert.ok(!(await store.rankByWords('type 2 diabetes')).some((r) => r.code === '5A1935Z'));
  } finally {
    await store.close();
  }
});

test('the pretraining template: "ICD 10 code for E11.9: ..."; bad templates refused in words', () => {
  const r = { system: 'icd10cm' as const, code: 'E119', long: 'Type 2 diabetes mellitus without complications' };
  assert.equal(codeText(DEFAULT_CODE_TEMPLATE, r), 'ICD 10 code for E11.9: Type 2 diabetes mellitus without complications');
  assert.equal(codeText('{system} {code} {description}', { system: 'icd9cm-dx', code: '25000', long: 'Diabetes' }), 'ICD-9-CM diagnosis 250.00 Diabetes');
  assert.equal(checkTemplate(''), DEFAULT_CODE_TEMPLATE);
  assert.equal(checkTemplate(undefined), DEFAULT_CODE_TEMPLATE);
  assert.throws(() => checkTemplate('ICD code'), (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && /must contain \{description\}/.test(e.message));
  assert.throws(() => checkTemplate('{code} {desc}'), /names \{desc\}/);
  assert.throws(() => checkTemplate(42), /must be text/);
  assert.throws(() => checkTemplate('{code}'.repeat(100)), /longer than 500/);
});

test('chapter text names chapter or section and title', () => {
  assert.equal(chapterText('icd10cm', 'E119'), 'Chapter 4 Endocrine, nutritional and metabolic diseases');
  assert.equal(chapterText('icd10pcs', '0DTJ4ZZ'), 'Section 0 Medical and Surgical');
});

test('a word in most descriptions brings no candidates of its own while a rarer one does, but still counts', async () => {
  const { records } = parseCodeFile(Buffer.from(syntheticOrderFile(3000)), 'icd10cm_order_2027.txt', 'icd10cm-order');
  const file = path.join(tempDir('common'), 'codes.sqlite');
  await buildStore(file, records, { builtAt: '', source: '', files: [], counts: { icd10cm: { codes: 3000, billable: 3000 } }, warnings: [] });
  const store = await IcdStore.open(file);
  try {
    // "type" is in all 3,000 descriptions; "fracture" in about 190
    const hits = await store.rankByWords('fracture type', { limit: 500 });
    assert.ok(hits.length > 100);
    assert.ok(hits.every((r) => /fracture/.test(r.long)), 'every candidate has the rarer word');
    assert.ok(hits.every((r) => r.covered === 2), 'and the common word still counts');
    // only common words: they are used all the same
    assert.ok((await store.rankByWords('type', { limit: 5 })).length === 5);
  } finally {
    await store.close();
  }
});
