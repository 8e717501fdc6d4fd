import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isGemFile, parseGemFile } from '../../../src/engine/icd/gems';
import { installFromFolder, openActiveStore } from '../../../src/engine/icd/install';
import { IcdCatalog } from '../../../src/engine/icd/lookup';
import { EngineError } from '../../../src/engine/errors';
import { RELEASE, tempDir } from './fixtures';

test('GEM files are recognised by their CMS names and parsed with their flags', () => {
  assert.ok(isGemFile('2018_I10gem.txt'));
  assert.ok(isGemFile('GEMs/2018_I9gem.txt'));
  assert.ok(isGemFile('gem_i9pcs.txt'));
  assert.equal(isGemFile('2018_I10gem_readme.pdf'), false);
  const r = parseGemFile(fs.readFileSync(path.join(RELEASE, '2018_I10gem.txt')), '2018_I10gem.txt');
  assert.equal(r.lines, 5);
  assert.equal(r.noMap, 1, 'U071 -> NoDx is no mapping, not an error');
  assert.deepEqual(r.rows[0], { from: 'icd10cm', fromCode: 'E119', to: 'icd9cm-dx', toCode: '25000', approximate: true, combination: false });
});

test('a file of another shape under a GEM name is refused', () => {
  assert.throws(
    () => parseGemFile(Buffer.from('E119 Type 2 diabetes\nI10 Hypertension\n'), '2018_I10gem.txt'),
    (e: unknown) => e instanceof EngineError && /2 of 2 lines are not in the ICD-10-CM to ICD-9-CM GEM format/.test(e.message),
  );
  const some = parseGemFile(Buffer.from('E119    25000 10000\nbroken\nI10     4019  00000\n'), '2018_I10gem.txt');
  assert.equal(some.rows.length, 2);
  assert.match(some.warnings[0]!, /1 malformed line\(s\) skipped \(first at line 2\)/);
});

test('installed GEMs show the other revision, flagged approximate where CMS says so; without GEMs nothing is mapped', async () => {
  const dir = tempDir('gems');
  const r = await installFromFolder(dir, RELEASE);
  assert.equal(r.meta.gems, 12);
  const store = await openActiveStore(dir);
  try {
    const c = new IcdCatalog(store);
    const [e119, v5867, af, appy] = await c.lookup(['E11.9', 'V58.67', '427.31', '47.01']);
    assert.deepEqual(e119!.readings[0]!.mappings, [
      { system: 'icd9cm-dx', systemName: 'ICD-9-CM diagnosis', code: '25000', display: '250.00', description: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled', approximate: true, combination: false },
    ]);
    assert.equal(v5867!.readings[0]!.mappings![0]!.display, 'Z79.4');
    // a target outside the installed set keeps its code, without a description
    assert.deepEqual([af!.readings[0]!.mappings![0]!.display, af!.readings[0]!.mappings![0]!.description], ['I48.91', null]);
    assert.equal(appy!.readings[0]!.mappings![0]!.display, '0DTJ4ZZ');
  } finally {
    await store?.close();
  }
  const plain = tempDir('gems-none');
  fs.copyFileSync(path.join(RELEASE, 'icd10cm_order_2027.txt'), path.join(plain, 'icd10cm_order_2027.txt'));
  const dir2 = tempDir('gems');
  await installFromFolder(dir2, plain);
  const s2 = await openActiveStore(dir2);
  try {
    const [e119] = await new IcdCatalog(s2).lookup(['E11.9']);
    assert.equal(e119!.readings[0]!.mappings, undefined);
  } finally {
    await s2?.close();
  }
});
