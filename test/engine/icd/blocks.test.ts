import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTabularFile, parseTabularBlocks } from '../../../src/engine/icd/blocks';
import { parseSources } from '../../../src/engine/icd/install';
import { EngineError } from '../../../src/engine/errors';
import { RELEASE } from './fixtures';

const xml = fs.readFileSync(path.join(RELEASE, 'icd10cm_tabular_2027.xml'));

test('blocks come from the sections that list each category', () => {
  const b = parseTabularBlocks(xml, 'icd10cm_tabular_2027.xml');
  assert.equal(b.categories['E11'], 'E08-E13');
  assert.equal(b.titles['E08-E13'], 'Diabetes mellitus');
  // "M1A" sorts after "M14", but its section says where it belongs
  assert.equal(b.categories['M1A'], 'M05-M14');
  assert.equal(b.titles['S70-S79'], 'Injuries to the hip & thigh');
  // subcategories (E11.9) are not categories
  assert.equal(b.categories['E119'], undefined);
  assert.equal(Object.keys(b.categories).length, 4);
});

test('tabular files are recognised by name; other XML is refused with a clear message', () => {
  assert.ok(isTabularFile('Table and Index/icd10cm_tabular_2027.xml'));
  assert.ok(isTabularFile('icd10cm-tabular-April-1-2026.xml'));
  assert.equal(isTabularFile('icd10cm_index_2027.xml'), false);
  assert.throws(() => parseTabularBlocks(Buffer.from('<ICD10CM.index></ICD10CM.index>'), 'x.xml'), (e: unknown) => e instanceof EngineError && /not the ICD-10-CM tabular list/.test(e.message));
  assert.throws(() => parseTabularBlocks(Buffer.from('<ICD10CM.tabular><chapter></chapter></ICD10CM.tabular>'), 'x.xml'), /no sections with categories/);
});

test('a tabular list without an ICD-10-CM code file is reported, not used', () => {
  const r = parseSources([
    { name: 'icd10cm_tabular_2027.xml', bytes: xml },
    { name: 'CMS32_DESC_LONG_SG.txt', bytes: fs.readFileSync(path.join(RELEASE, 'CMS32_DESC_LONG_SG.txt')) },
  ]);
  assert.equal(r.blocks, undefined);
  assert.match(r.warnings.join('\n'), /was not used: there is no ICD-10-CM order or codes file/);
});
