import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findCandidates, resolveDetections, type CodeKnowledge } from '../../../src/engine/icd/detect';
import { parseCodeFile, formatOfFileName, type CodeRecord } from '../../../src/engine/icd/codesets';
import { fixtureRecords, knowledgeOf, OFFICIAL, officialReason } from './fixtures';

const all = knowledgeOf(fixtureRecords());
const none = knowledgeOf([], []);

function detect(text: string, k: CodeKnowledge = all) {
  return resolveDetections(text, findCandidates(text), k).map((d) => ({ text: text.slice(d.start, d.end), systems: d.readings.map((r) => r.system) }));
}
const found = (text: string, k?: CodeKnowledge) => detect(text, k).map((d) => d.text);

test('dotted and undotted codes, with and without a cue, in lists', () => {
  assert.deepEqual(found('A/C DM2 (E11.9), HTN (I10), on insulin Z79.4'), ['E11.9', 'I10', 'Z79.4']);
  assert.deepEqual(found('ICD-10: E11.9, I10, Z79.4'), ['E11.9', 'I10', 'Z79.4']);
  assert.deepEqual(found('codes E119 I10 Z794'), ['E119', 'I10', 'Z794']);
  assert.deepEqual(found('hx 250.00'), ['250.00']);
  assert.deepEqual(found('dx 250.00'), ['250.00']);
  assert.deepEqual(found('s/p 0DTJ4ZZ on 3/2'), ['0DTJ4ZZ']);
  assert.deepEqual(found('Right hip fx, S72.001A.'), ['S72.001A']);
  assert.deepEqual(found('ICD-9: 250.00, 401.9, 272.4 and 427.31'), ['250.00', '401.9', '272.4', '427.31']);
  assert.deepEqual(found('Hx CABG (V45.81), fall at nursing home E849.7'), ['V45.81', 'E849.7']);
  assert.deepEqual(found('Dx:E11.65;I50.9'), ['E11.65', 'I50.9']);
  assert.deepEqual(found('`E11.9` in markdown, **I10** too'), ['E11.9', 'I10']);
  assert.deepEqual(found('E11.9/I10 and DM-E11.65; E11.9-Type 2 DM'), ['E11.9', 'I10', 'E11.65', 'E11.9']);
  assert.deepEqual(found('Diabetes codes E08-E13 are a block; cholera is A00.0-A00.9'), []);
});

test('offsets are UTF-16 offsets into the text', () => {
  const text = 'Pt 👩‍⚕️ café: E11.9';
  const d = resolveDetections(text, findCandidates(text), all)[0]!;
  assert.equal(text.slice(d.start, d.end), 'E11.9');
  assert.equal(d.start, text.indexOf('E11.9'));
});

test('no false positives on vitals, doses, labs, dates, times, phone numbers, identifiers', () => {
  const negatives = [
    'BP 120/80, HR 72, RR 16, T 98.6 F, SpO2 98% on RA',
    'Temp 101.2, weight 185 lb, Wt 185.5 kg, BMI 27.5',
    'Metformin 500 mg BID; glucose 250.00 mg/dL this AM',
    'glucose of 250.00 this morning, glucose was 138',
    'Na 138, K 4.1, Cl 101, CO2 24, BUN 18, Cr 1.2, Glu 250',
    'Hgb 12.5, Hct 37.2, Plt 250, WBC 11.2, INR 2.5, A1c 7.2%',
    'Seen on 01/02/2020 at 10:30; follow up 2020-03-04; DOB 3/8/1950',
    'Call 555-123-4567 or (555) 401-9000, pager 4019',
    'MRN 25000, MRN: 0016070, room 4280, bed 138',
    'Dose 138 units, 4019 mg total, 250.00 mg daily',
    'Paid $250.00 copay; invoice #4280',
    'Lost 10.5 lbs over 3 months, 138 lb now',
    'CPT 99213 billed; NPI 4019',
    'N95 mask worn; P24 antigen negative; vitamin B12 low; A1C pending',
    'Range 250.00-401.90 and ratio 401.9:1',
    'Version 4.0.19 of the software, v250.00',
    'He walked 138 steps; 4280 people; 401.9 km',
    'Total 1,250.00 dollars and 2,401.9 units',
    'Pain 7/10; EF 55%; QTc 440 ms; x 250.00',
  ];
  for (const text of negatives) assert.deepEqual(found(text), [], text);
});

test('bare numbers are codes only with a cue; dotted ICD-9 diagnoses need no quantity context', () => {
  assert.deepEqual(found('Patient has 4019 and 138.'), []);
  assert.deepEqual(found('dx 4019'), ['4019']);
  assert.deepEqual(found('Assessment: 401.9'), ['401.9']);
  // ICD-9 procedure codes look like decimals (12.5, 37.2): only with a cue
  assert.deepEqual(found('Temperature 47.01 and ratio 40.19 today'), []);
  assert.deepEqual(found('Procedure: 47.01'), ['47.01']);
});

test('without installed sets, only codes in an explicit code context are reported', () => {
  assert.deepEqual(found('DM2 E11.9, HTN I10', none), []);
  assert.deepEqual(found('ICD-10-CM: E11.9, I10', none), ['E11.9', 'I10']);
  assert.deepEqual(detect('dx E11.9', none)[0]!.systems, ['icd10cm']);
  assert.deepEqual(found('ICD-10-PCS: 0DTJ4ZZ', none), ['0DTJ4ZZ']);
  assert.deepEqual(found('glucose 250.00', none), []);
});

test('categories (headers) need a cue: "N95 mask" is not a code, "dx N95" is', () => {
  assert.deepEqual(found('Menopause N95 today'), []);
  assert.deepEqual(found('dx N95'), ['N95']);
  assert.deepEqual(found('E11 category'), []);
});

test('a code valid in several systems shows every reading, the likeliest first', () => {
  assert.deepEqual(detect('dx 4019')[0]!.systems, ['icd9cm-dx', 'icd9cm-sg']);
  assert.deepEqual(detect('procedure 4019')[0]!.systems, ['icd9cm-sg', 'icd9cm-dx']);
  assert.deepEqual(detect('ICD-9 procedures: 4019')[0]!.systems, ['icd9cm-sg', 'icd9cm-dx']);
  // V00.01 (ICD-9 V0301 fixture aside): E849 exists in both ICD-10-CM (E84.9) and ICD-9 (E849.7 is 5 chars)
  const both: CodeRecord[] = [
    { system: 'icd10cm', code: 'V0001XA', billable: true, short: '', long: 'x' },
    { system: 'icd10cm', code: 'E9490', billable: true, short: '', long: 'x' },
    { system: 'icd9cm-dx', code: 'E9490', billable: true, short: '', long: 'y' },
  ];
  const k = knowledgeOf(both);
  assert.deepEqual(detect('E9490', k)[0]!.systems, ['icd10cm', 'icd9cm-dx']);
  assert.deepEqual(detect('ICD-9: E9490', k)[0]!.systems, ['icd9cm-dx', 'icd10cm']);
  // the revision the other codes in the note use wins when there is no cue
  const k2 = knowledgeOf([...both, ...fixtureRecords()]);
  assert.deepEqual(detect('250.00, 401.9 and E9490', k2)[2]!.systems, ['icd9cm-dx', 'icd10cm']);
  assert.deepEqual(detect('E11.9, I10 and E9490', k2)[2]!.systems, ['icd10cm', 'icd9cm-dx']);
});

test('codes that are not in the installed set are not reported', () => {
  assert.deepEqual(found('E11.8 and Z99.9 and 0DTJ7ZZ'), []);
});

function officialKnowledge(): CodeKnowledge {
  const records: CodeRecord[] = [];
  const files = ['icd10cm/icd10cm-order-Jan-2021.txt', 'icd10pcs/icd10pcs_codes_2023.txt', 'icd9cm/CMS32_DESC_LONG_DX.txt', 'icd9cm/CMS32_DESC_LONG_SG.txt'];
  for (const f of files) records.push(...parseCodeFile(fs.readFileSync(path.join(OFFICIAL, f)), path.basename(f), formatOfFileName(f)!).records);
  return knowledgeOf(records);
}

test('realistic note text against the full official sets: codes found, quantities not', { skip: officialReason }, () => {
  const k = officialKnowledge();
  const note = [
    'HPI: 67 yo M with DM2 (E11.65), HTN (I10), CHF (I50.9) presents with SOB x 3 days.',
    'Vitals: BP 142/88, HR 104, RR 22, T 100.4 F, SpO2 91% on 2L NC, Wt 98.5 kg.',
    'Labs: Na 138, K 5.1, Cl 99, CO2 21, BUN 42, Cr 2.1, Glu 250, Hgb 10.2, Plt 180, BNP 1250, trop 0.04.',
    'Meds: metformin 1000 mg BID, lisinopril 20 mg daily, insulin glargine 30 units qHS, ASA 81 mg.',
    'PMH: hx 250.00 in old records; CABG 2015 (V45.81).',
    'Procedures: s/p lap appy 0DTJ4ZZ on 04/12/2019.',
    'Dispo: f/u 2 weeks, call 617-555-0142, MRN 4280114, room 402, bed 2.',
  ].join('\n');
  assert.deepEqual(found(note, k), ['E11.65', 'I10', 'I50.9', '250.00', 'V45.81', '0DTJ4ZZ']);
  const v = detect('CABG (V45.81)', k)[0]!;
  assert.deepEqual(v.systems, ['icd9cm-dx']);

  // E8351 is both ICD-10-CM E83.51 (hypocalcemia) and ICD-9-CM E835.1 (a fall in water transport)
  assert.deepEqual(detect('Ca low, E8351', k)[0]!.systems, ['icd10cm', 'icd9cm-dx']);
  assert.deepEqual(detect('ICD-9: E8351', k)[0]!.systems, ['icd9cm-dx', 'icd10cm']);
  assert.deepEqual(detect('Codes 250.00, 401.9, E8351', k)[2]!.systems, ['icd9cm-dx', 'icd10cm']);
  assert.deepEqual(detect('E83.51 and E835.1', k).map((d) => d.systems), [['icd10cm'], ['icd9cm-dx']]);
});
