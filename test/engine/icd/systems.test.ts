import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayCode, normalizeCode, systemsForWritten } from '../../../src/engine/icd/systems';
import { chapterLabel, chapterOf } from '../../../src/engine/icd/chapters';

test('codes are displayed the way clinicians write them', () => {
  assert.equal(displayCode('icd10cm', 'E119'), 'E11.9');
  assert.equal(displayCode('icd10cm', 'S72001A'), 'S72.001A');
  assert.equal(displayCode('icd10cm', 'I10'), 'I10');
  assert.equal(displayCode('icd9cm-dx', '25000'), '250.00');
  assert.equal(displayCode('icd9cm-dx', 'V4581'), 'V45.81');
  assert.equal(displayCode('icd9cm-dx', 'E8497'), 'E849.7');
  assert.equal(displayCode('icd9cm-dx', '138'), '138');
  assert.equal(displayCode('icd9cm-sg', '0001'), '00.01');
  assert.equal(displayCode('icd9cm-sg', '125'), '12.5');
  assert.equal(displayCode('icd10pcs', '0DTJ4ZZ'), '0DTJ4ZZ');
});

test('what users type is normalised to the stored form', () => {
  assert.equal(normalizeCode(' e11.9 '), 'E119');
  assert.equal(normalizeCode('250.00'), '25000');
});

test('the dot position decides which systems a written code can belong to', () => {
  assert.deepEqual(systemsForWritten('E11.9'), ['icd10cm']);
  assert.deepEqual(systemsForWritten('E849.7'), ['icd9cm-dx']);
  assert.deepEqual(systemsForWritten('250.00'), ['icd9cm-dx']);
  assert.deepEqual(systemsForWritten('40.19'), ['icd9cm-sg']);
  assert.deepEqual(systemsForWritten('V45.81'), ['icd10cm', 'icd9cm-dx']);
  assert.deepEqual(systemsForWritten('4019'), ['icd9cm-dx', 'icd9cm-sg']);
  assert.deepEqual(systemsForWritten('0DTJ4ZZ'), ['icd10pcs']);
});

test('chapters and sections are known without any code set', () => {
  assert.deepEqual(chapterOf('icd10cm', 'E119'), { id: '4', range: 'E00-E89', title: 'Endocrine, nutritional and metabolic diseases' });
  assert.equal(chapterOf('icd10cm', 'O9A119')?.id, '15');
  assert.equal(chapterOf('icd10cm', 'T405X1A')?.id, '19');
  assert.equal(chapterOf('icd10cm', 'U071')?.id, '22');
  assert.equal(chapterOf('icd10pcs', '0DTJ4ZZ')?.title, 'Medical and Surgical');
  assert.equal(chapterOf('icd10pcs', 'XW033E5')?.title, 'New Technology');
  assert.equal(chapterOf('icd9cm-dx', '25000')?.range, '240-279');
  assert.equal(chapterOf('icd9cm-dx', 'V4581')?.id, 'V');
  assert.equal(chapterOf('icd9cm-dx', 'E8497')?.id, 'E');
  assert.equal(chapterOf('icd9cm-sg', '4701')?.range, '42-54');
  assert.equal(chapterOf('icd9cm-sg', '1791')?.id, '3A');
  assert.equal(chapterLabel('icd10pcs', chapterOf('icd10pcs', '0DTJ4ZZ')!), 'Section 0');
  assert.equal(chapterOf('icd10cm', 'W'), undefined);
});
