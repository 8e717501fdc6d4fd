import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildStore, IcdStore } from '../../../src/engine/icd/store';
import { EngineError } from '../../../src/engine/errors';
import { fixtureRecords, tempDir } from './fixtures';

const meta = { builtAt: '2026-11-22T00:00:00Z', source: 'fixtures', files: [], counts: { icd10cm: { codes: 27, billable: 16 } }, warnings: [] };

test('a store is built once, user-only, and answers lookups and searches', async () => {
  const dir = tempDir('store');
  const file = path.join(dir, 'codes.sqlite');
  await buildStore(file, fixtureRecords(), meta);
  if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const store = await IcdStore.open(file);
  try {
    assert.deepEqual(store.meta, meta);
    const hits = await store.lookup(['E119', '4019', 'NOPE']);
    assert.equal(hits.get('E119')![0]!.long, 'Type 2 diabetes mellitus without complications');
    assert.deepEqual(hits.get('4019')!.map((r) => r.system).sort(), ['icd9cm-dx', 'icd9cm-sg']);
    assert.equal(hits.has('NOPE'), false);
    // cached answers are the same
    assert.deepEqual((await store.lookup(['E119'])).get('E119'), hits.get('E119'));

    const words = await store.search('type 2 diab');
    assert.ok(words.length >= 3);
    assert.ok(words.every((r) => /type 2 diabetes/i.test(r.long)));
    const byCode = await store.search('E11.6');
    assert.deepEqual(byCode.slice(0, 2).map((r) => r.code), ['E116', 'E1165']);
    const accent = await store.search('meniere');
    assert.equal(accent[0]?.code, '38600');
    const onlyPcs = await store.search('appendix', { systems: ['icd10pcs'] });
    assert.ok(onlyPcs.length === 2 && onlyPcs.every((r) => r.system === 'icd10pcs'));
    assert.deepEqual(await store.search('"); DROP TABLE codes; --'), []);
    assert.equal((await store.search('fracture', { limit: 2 })).length, 2);
  } finally {
    await store.close();
  }
});

test('building over an existing file is refused; opening a non-store is a clear error', async () => {
  const dir = tempDir('store');
  const file = path.join(dir, 'codes.sqlite');
  fs.writeFileSync(file, 'not a database');
  await assert.rejects(buildStore(file, [], meta), /EEXIST/);
  await assert.rejects(IcdStore.open(file), (e: unknown) => e instanceof EngineError && /damaged or from another version/.test(e.message));
  await assert.rejects(IcdStore.open(path.join(dir, 'missing.sqlite')), (e: unknown) => e instanceof EngineError && e.code === 'missing-file');
});
