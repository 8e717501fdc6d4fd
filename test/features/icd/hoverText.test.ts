import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoverMarkdown } from '../../../src/features/icd/hoverText';
import type { CodeInfo } from '../../../src/engine/icd/protocol';

const e119: CodeInfo = {
  system: 'icd10cm',
  systemName: 'ICD-10-CM',
  code: 'E119',
  display: 'E11.9',
  known: true,
  installed: true,
  description: 'Type 2 diabetes mellitus without complications',
  short: null,
  billable: true,
  parents: [
    { code: 'E11', display: 'E11', description: 'Type 2 diabetes mellitus', kind: 'category' },
    { display: 'Chapter 4 (E00-E89)', description: 'Endocrine, nutritional and metabolic diseases', kind: 'chapter' },
  ],
};

test('the hover shows code, system, billable status, description and the parent chain', () => {
  const md = hoverMarkdown([e119]);
  assert.match(md, /^\*\*E11\\\.9\*\* · ICD\\-10\\-CM · _billable code_/);
  assert.match(md, /Type 2 diabetes mellitus without complications/);
  assert.match(md, /E11 Type 2 diabetes mellitus → Chapter 4 \\\(E00\\-E89\\\) Endocrine, nutritional and metabolic diseases/);
  assert.doesNotMatch(md, /command:/);
});

test('headers say they are not billable; other readings follow the likeliest', () => {
  const md = hoverMarkdown([{ ...e119, billable: false }, { ...e119, system: 'icd9cm-dx', systemName: 'ICD-9-CM diagnosis' }]);
  assert.match(md, /_header, not billable_/);
  assert.match(md, /Also read as:[\s\S]*ICD\\-9\\-CM diagnosis/);
});

test('without an installed set: system and chapter, no description, and the install command', () => {
  const md = hoverMarkdown([{ ...e119, known: false, installed: false, description: null, billable: null, parents: [e119.parents[1]!] }]);
  assert.match(md, /_code set not installed_/);
  assert.match(md, /Chapter 4/);
  assert.match(md, /\[Install ICD code sets\]\(command:clinicalModernbert\.icd\.install\)/);
});

test('installed GEM mappings are shown, approximate ones marked', () => {
  const md = hoverMarkdown([
    { ...e119, mappings: [{ system: 'icd9cm-dx', systemName: 'ICD-9-CM diagnosis', code: '25000', display: '250.00', description: 'Diabetes mellitus', approximate: true, combination: false }] },
  ]);
  assert.match(md, /CMS GEMs: ≈ ICD\\-9\\-CM diagnosis \*\*250\\\.00\*\* Diabetes mellitus/);
});

test('an ICD-9-CM category the files do not list is shown by the codes under it', () => {
  const md = hoverMarkdown([
    {
      ...e119,
      system: 'icd9cm-dx',
      systemName: 'ICD-9-CM diagnosis',
      code: '8232',
      display: '823.2',
      known: false,
      description: null,
      billable: null,
      parents: [],
      narrower: [{ code: '82320', display: '823.20', description: 'Closed fracture of shaft of tibia alone' }],
    },
  ]);
  assert.match(md, /_category, not billable_/);
  assert.match(md, /Codes under it: 823\\\.20 Closed fracture of shaft of tibia alone/);
  assert.doesNotMatch(md, /not in the installed code set/);
});
