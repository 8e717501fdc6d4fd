/** The label pickers: most recent first, then the project's other labels; a typed name adds a label. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelChoices, labelColourSlot, LABEL_COLOUR_SLOTS, normaliseLabel, touchRecent } from '../../../src/features/labels/labelChoices';

test('recently used labels come first, most recent on top, then the others alphabetically', () => {
  let recent: string[] = [];
  for (const l of ['Problem', 'Drug', 'Test', 'Drug']) recent = touchRecent(recent, l);
  assert.deepEqual(recent, ['Drug', 'Test', 'Problem']);
  const choices = labelChoices(recent, ['Anatomy', 'Problem', 'Procedure', 'Drug', 'Test', 'Anatomy']);
  assert.deepEqual(choices.map((c) => c.label), ['Drug', 'Test', 'Problem', 'Anatomy', 'Procedure']);
  assert.deepEqual(choices.map((c) => c.recent), [true, true, true, false, false]);
  assert.ok(choices.every((c) => !c.isNew));
});

test('a typed name that is not a label yet is offered after the labels as a new label, spaces as underscores', () => {
  const choices = labelChoices(['Drug'], ['Problem'], '  Body part ');
  assert.deepEqual(choices.at(-1), { label: 'Body_part', isNew: true, recent: false });
  assert.deepEqual(choices.map((c) => c.label), ['Drug', 'Problem', 'Body_part']);
  assert.deepEqual(labelChoices(['Drug'], ['Problem'], 'Problem').map((c) => c.label), ['Drug', 'Problem']);
  assert.deepEqual(labelChoices([], [], '   '), []);
  assert.equal(normaliseLabel('a\tb'), 'a_b');
});

test('the recent list is capped', () => {
  let recent: string[] = [];
  for (let i = 0; i < 50; i++) recent = touchRecent(recent, `L${i}`, 5);
  assert.deepEqual(recent, ['L49', 'L48', 'L47', 'L46', 'L45']);
});

test('a label keeps its colour slot, and common labels spread over the slots', () => {
  assert.equal(labelColourSlot('Problem'), labelColourSlot('Problem'));
  const slots = new Set(['Problem', 'Test', 'Treatment', 'Drug', 'Disease', 'Anatomy'].map(labelColourSlot));
  assert.ok(slots.size >= 4, `only ${slots.size} slots used`);
  for (const s of slots) assert.ok(s >= 1 && s <= LABEL_COLOUR_SLOTS);
});
