/**
 * The whole pipeline against the official release files in ../shared/data/icd:
 * one store built from all of them, then the lookups, parent chains, searches
 * and detections a clinician would check by eye.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { installFromFolder, openActiveStore } from '../../../src/engine/icd/install';
import { IcdCatalog } from '../../../src/engine/icd/lookup';
import type { IcdStore } from '../../../src/engine/icd/store';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OFFICIAL, officialReason, tempDir } from './fixtures';

/** every code of the official ICD-9-CM procedure file, undotted */
function officialProcedureCodes(): string[] {
  const text = fs.readFileSync(path.join(OFFICIAL, 'icd9cm/CMS32_DESC_LONG_SG.txt'), 'latin1');
  return text.split(/\r?\n/).map((l) => l.split(/\s/)[0]!).filter((c) => /^\d{3,4}$/.test(c));
}

let store: IcdStore | undefined;
after(() => store?.close());

async function catalog(): Promise<IcdCatalog> {
  if (!store) {
    const dir = tempDir('official');
    await installFromFolder(dir, OFFICIAL);
    store = await openActiveStore(dir);
  }
  return new IcdCatalog(store);
}

test('a store built from every official file has the published counts', { skip: officialReason }, async () => {
  await catalog();
  assert.deepEqual(store!.meta.counts, {
    icd10cm: { codes: 95358, billable: 72621 },
    icd10pcs: { codes: 78496, billable: 78496 },
    'icd9cm-dx': { codes: 14567, billable: 14567 },
    'icd9cm-sg': { codes: 3882, billable: 3882 },
  });
  assert.deepEqual(store!.meta.warnings, []);
});

test('official lookups: descriptions, billable status, parent chains', { skip: officialReason }, async () => {
  const c = await catalog();
  const [e119, s72, e11, dx250, pcs, both] = await c.lookup(['E11.9', 'S72.001A', 'E11', '250.00', '0DTJ4ZZ', '4019']);
  const r = e119!.readings[0]!;
  assert.equal(r.description, 'Type 2 diabetes mellitus without complications');
  assert.equal(r.billable, true);
  assert.deepEqual(r.parents.map((p) => `${p.display} ${p.description}`), ['E11 Type 2 diabetes mellitus', 'Chapter 4 (E00-E89) Endocrine, nutritional and metabolic diseases']);
  assert.deepEqual(s72!.readings[0]!.parents.map((p) => p.display), ['S72.001', 'S72.00', 'S72.0', 'S72', 'Chapter 19 (S00-T88)']);
  assert.equal(e11!.readings[0]!.billable, false);
  assert.match(dx250!.readings[0]!.description!, /^Diabetes mellitus without mention of complication, type II/);
  assert.equal(pcs!.readings[0]!.description, 'Resection of Appendix, Percutaneous Endoscopic Approach');
  assert.deepEqual(both!.readings.map((x) => `${x.systemName} ${x.display}`).sort(), ['ICD-9-CM diagnosis 401.9', 'ICD-9-CM procedure 40.19']);
});

test('official search finds codes by words and by code prefix', { skip: officialReason }, async () => {
  const c = await catalog();
  const words = await c.search('type 2 diabetes', { limit: 10 });
  assert.equal(words[0]!.display, 'E11');
  assert.ok(words.every((w) => /type 2 diabetes/i.test(w.description!)));
  const code = await c.search('E11.6', { limit: 5 });
  assert.deepEqual(code.map((x) => x.display), ['E11.6', 'E11.61', 'E11.610', 'E11.618', 'E11.62']);
  const menieres = await c.search('meniere', { systems: ['icd9cm-dx'] });
  assert.ok(menieres.some((x) => x.description === "Ménière's disease, unspecified"));
});

test('official lookup: 823.2 is the ICD-9-CM diagnosis category, not procedure 82.32; 00.10 is not cholera', { skip: officialReason }, async () => {
  const c = await catalog();
  const [fx, proc, chol] = await c.lookup(['823.2', '00.10', '001.0']);
  assert.deepEqual(fx!.readings.map((r) => `${r.systemName} ${r.display} ${r.known}`), ['ICD-9-CM diagnosis 823.2 false']);
  // the CMS ICD-9-CM files list billable codes only: the category is named by the codes under it
  assert.deepEqual(fx!.readings[0]!.narrower?.map((n) => n.display), ['823.20', '823.21', '823.22']);
  assert.deepEqual(proc!.readings.map((r) => `${r.systemName} ${r.display} ${r.known}`), ['ICD-9-CM procedure 00.10 true']);
  assert.deepEqual(chol!.readings.map((r) => `${r.systemName} ${r.display}`), ['ICD-9-CM diagnosis 001.0']);
  // about four in ten dotted ICD-9-CM procedure codes used to be answered with a diagnosis first: now none
  const procedures = officialProcedureCodes();
  const answers = await c.lookup(procedures.map((code) => `${code.slice(0, 2)}.${code.slice(2)}`));
  const wrong = answers.filter((a) => a.readings.some((r) => r.system !== 'icd9cm-sg' || !r.known));
  assert.equal(procedures.length, 3882);
  assert.deepEqual(wrong.map((a) => a.query), []);
});

test('official detection: a code the note cues is found even where the ICD-9-CM files list only the codes under it', { skip: officialReason }, async () => {
  const c = await catalog();
  const d = await c.detect('Intramedullary nail (CPT code is 27759) (the ICD-9 code again is 823.2 for a tibial shaft fracture).');
  assert.deepEqual(d.map((x) => `${x.written} ${x.readings[0]!.systemName}`), ['823.2 ICD-9-CM diagnosis']);
});
