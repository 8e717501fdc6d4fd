/** Accept Suggestions: entities inside the selection become labels, in the project's spelling, never over a label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptSuggestions } from '../../../src/features/labels/suggestions';

const text = 'Denies chest pain. Started metformin and aspirin.';
const at = (w: string, type: string) => ({ start: text.indexOf(w), end: text.indexOf(w) + w.length, type });
const entities = [at('chest pain', 'problem'), at('metformin', 'drug'), at('aspirin', 'drug')];

test('entities wholly inside the ranges become labels, with the project\'s spelling of their type', () => {
  const r = acceptSuggestions(entities, [{ start: 0, end: text.indexOf(' and') }], [], ['Problem', 'Finding']);
  assert.deepEqual(r.accept, [
    { start: text.indexOf('chest pain'), end: text.indexOf('chest pain') + 10, label: 'Problem' },
    { start: text.indexOf('metformin'), end: text.indexOf('metformin') + 9, label: 'drug' },
  ]);
  assert.equal(r.skipped, 0);
});

test('an entity cut by the selection is not taken; one over an existing label is skipped and counted', () => {
  const r = acceptSuggestions(entities, [{ start: text.indexOf('pain'), end: text.length }], [{ start: text.indexOf('aspirin') + 2, end: text.indexOf('aspirin') + 4 }], []);
  assert.deepEqual(r.accept.map((a) => text.slice(a.start, a.end)), ['metformin']);
  assert.equal(r.skipped, 1);
});

test('overlapping suggestions: the first (longest at a start) wins', () => {
  const r = acceptSuggestions([at('chest', 'body'), at('chest pain', 'problem')], [{ start: 0, end: text.length }], [], []);
  assert.deepEqual(r.accept.map((a) => a.label), ['problem']);
  assert.equal(r.skipped, 1);
});
