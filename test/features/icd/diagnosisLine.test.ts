import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeInsertion, diagnosisPhrase } from '../../../src/features/icd/diagnosisLine';

const note = [
  'HPI: 64M with chest pain.', // 0
  'Assessment and plan:', // 1
  '1. Type 2 diabetes mellitus, poorly controlled - increase metformin', // 2
  '2. Essential hypertension; continue lisinopril', // 3
  '#3 Acute on chronic systolic heart failure', // 4
  'Plan:', // 5
  '- follow up in 2 weeks', // 6
  'Discharge diagnosis: Community acquired pneumonia. Resolved.', // 7
  'Dx: DM2', // 8
  'PMH: asthma', // 9
  '', // 10
  'Impression:', // 11
  '', // 12
  '  - Right femoral neck fracture', // 13
  'MEDICATIONS', // 14
  '- aspirin 81 mg', // 15
];
const phrase = (i: number) => {
  const p = diagnosisPhrase(note, i);
  return p ? note[i]!.slice(p.start, p.end) : undefined;
};

test('a diagnosis line: after a diagnosis heading, or an item of a list under one, cut before its plan', () => {
  assert.equal(phrase(2), 'Type 2 diabetes mellitus, poorly controlled');
  assert.equal(phrase(3), 'Essential hypertension');
  assert.equal(phrase(4), 'Acute on chronic systolic heart failure');
  assert.equal(phrase(7), 'Community acquired pneumonia');
  assert.equal(phrase(8), 'DM2');
  assert.equal(phrase(13), 'Right femoral neck fracture', 'blank lines between the heading and the list');
});

test('not a diagnosis line: other sections, headings alone, blank lines, and labels of other kinds', () => {
  for (const i of [0, 1, 5, 6, 9, 10, 11, 12, 14, 15]) assert.equal(phrase(i), undefined, `line ${i}: ${note[i]}`);
  assert.equal(diagnosisPhrase(note, 99), undefined);
  assert.equal(diagnosisPhrase(['Dx: a'], 0), undefined, 'too short to be a phrase');
});

test('a chosen code is written after the phrase in parentheses', () => {
  assert.equal(codeInsertion('1. Type 2 diabetes mellitus', 'E11.9'), ' (E11.9)');
  assert.equal(codeInsertion('Type 2 diabetes mellitus ', 'E11.9'), '(E11.9)');
  assert.equal(codeInsertion('', 'E11.9'), '(E11.9)');
  assert.equal(codeInsertion('DM2 (', 'E11.9'), 'E11.9');
});
