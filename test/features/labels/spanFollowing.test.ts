/**
 * Labels follow the text they mark through edits made in the editor; a span
 * whose own text changed is flagged, and a label whose text is gone goes (and
 * comes back with an undo). Each edit is checked against the text itself: the
 * span must still cover the characters it covered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differenceOf, followEdits, isEdited, type FollowedSpan, type RemovedSpan, type TextChange } from '../../../src/features/labels/spanFollowing';

interface Span extends FollowedSpan {
  id: string;
}

/** A note and its spans, edited the way VS Code reports edits. */
function note(text: string, ...words: string[]) {
  let current = text;
  let spans: Span[] = words.map((w, i) => {
    const start = text.indexOf(w);
    assert.ok(start >= 0, w);
    return { id: `T${i + 1}`, start, end: start + w.length, covered: w, labelledText: w };
  });
  const graveyard: Array<RemovedSpan<Span>> = [];
  return {
    get text() {
      return current;
    },
    get spans() {
      return spans;
    },
    graveyard,
    /** one event of changes, applied in order (VS Code's order) */
    edit(...changes: TextChange[]) {
      for (const c of changes) current = current.slice(0, c.rangeOffset) + c.text + current.slice(c.rangeOffset + c.rangeLength);
      const r = followEdits(spans, changes, graveyard);
      spans = r.spans;
      return r;
    },
    /** what each span covers in the text now */
    shown: () => spans.map((s) => [s.id, current.slice(s.start, s.end)]),
  };
}

const insert = (at: number, text: string): TextChange => ({ rangeOffset: at, rangeLength: 0, text });
const replace = (from: number, to: number, text: string): TextChange => ({ rangeOffset: from, rangeLength: to - from, text });

test('an insertion before a span shifts it; one after leaves it', () => {
  const n = note('Pt has chest pain and fever.', 'chest pain', 'fever');
  n.edit(insert(0, 'The '));
  assert.deepEqual(n.shown(), [['T1', 'chest pain'], ['T2', 'fever']]);
  n.edit(insert(n.text.length, ' Stable.'));
  assert.deepEqual(n.shown(), [['T1', 'chest pain'], ['T2', 'fever']]);
  assert.ok(n.spans.every((s) => !isEdited(s)));
});

test('an insertion exactly at a span boundary stays outside the span', () => {
  const n = note('chest pain', 'chest pain');
  n.edit(insert(0, 'severe '));
  n.edit(insert(n.text.length, ' today'));
  assert.equal(n.text, 'severe chest pain today');
  assert.deepEqual(n.shown(), [['T1', 'chest pain']]);
  assert.equal(isEdited(n.spans[0]!), false);
});

test('an insertion inside a span moves its end and flags it as edited', () => {
  const n = note('Pt has chest pain.', 'chest pain');
  const at = n.text.indexOf(' pain');
  n.edit(insert(at, ' wall'));
  assert.deepEqual(n.shown(), [['T1', 'chest wall pain']]);
  assert.equal(n.spans[0]!.covered, 'chest wall pain');
  assert.equal(isEdited(n.spans[0]!), true);
});

test('undoing an edit inside a span clears the flag', () => {
  const n = note('Pt has chest pain.', 'chest pain');
  const at = n.text.indexOf(' pain');
  n.edit(insert(at, ' wall'));
  n.edit(replace(at, at + 5, ''));
  assert.deepEqual(n.shown(), [['T1', 'chest pain']]);
  assert.equal(isEdited(n.spans[0]!), false);
});

test('a deletion across spans: the ends keep what is left, the span inside goes', () => {
  const n = note('aa AAAA bb BBBB cc CCCC dd', 'AAAA', 'BBBB', 'CCCC');
  // delete from the middle of AAAA to the middle of CCCC
  const from = n.text.indexOf('AAAA') + 2;
  const to = n.text.indexOf('CCCC') + 2;
  const r = n.edit(replace(from, to, ''));
  assert.equal(n.text, 'aa AACC dd');
  assert.deepEqual(n.shown(), [['T1', 'AA'], ['T3', 'CC']]);
  assert.deepEqual(r.removed.map((s) => s.id), ['T2']);
  assert.ok(n.spans.every(isEdited));
});

test('a replacement across a span start leaves the new text in front of the span', () => {
  const n = note('xx chest pain', 'chest pain');
  const start = n.text.indexOf('chest');
  n.edit(replace(start - 1, start + 5, '-upper'));
  assert.equal(n.text, 'xx-upper pain');
  assert.deepEqual(n.shown(), [['T1', ' pain']]);
  assert.equal(isEdited(n.spans[0]!), true);
});

test('replacing all of a span\'s text removes the label, and undo brings it back', () => {
  const n = note('No chest pain today.', 'chest pain');
  const start = n.text.indexOf('chest pain');
  const r = n.edit(replace(start, start + 10, 'headache'));
  assert.deepEqual(r.removed.map((s) => s.id), ['T1']);
  assert.deepEqual(n.spans, []);
  // an edit elsewhere before the undo moves the place the label would come back to
  n.edit(insert(0, 'Pt: '));
  const back = n.edit(replace(start + 4, start + 4 + 8, 'chest pain'));
  assert.deepEqual(back.revived.map((s) => s.id), ['T1']);
  assert.deepEqual(n.shown(), [['T1', 'chest pain']]);
  assert.equal(isEdited(n.spans[0]!), false);
});

test('a deleted line with a label inside comes back with its label on undo', () => {
  const n = note('Line one.\nDenies chest pain.\nLine three.', 'chest pain');
  const from = n.text.indexOf('Denies');
  const line = 'Denies chest pain.\n';
  n.edit(replace(from, from + line.length, ''));
  assert.deepEqual(n.spans, []);
  n.edit(insert(from, line));
  assert.deepEqual(n.shown(), [['T1', 'chest pain']]);
});

test('other text put back where a label was does not bring the label back', () => {
  const n = note('No chest pain today.', 'chest pain');
  const start = n.text.indexOf('chest pain');
  n.edit(replace(start, start + 10, ''));
  n.edit(insert(start, 'back pain'));
  assert.deepEqual(n.spans, []);
  // and an edit over the place forgets the removed label
  n.edit(replace(start, start + 9, 'chest pain'));
  assert.deepEqual(n.spans, []);
  assert.equal(n.graveyard.length, 0);
});

test('multi-cursor edits (last position first, as VS Code sends them) move each span by what came before it', () => {
  const n = note('fever; cough; rash', 'fever', 'cough', 'rash');
  // one cursor before each word, typing "+ "
  const at = ['fever', 'cough', 'rash'].map((w) => n.text.indexOf(w)).reverse();
  n.edit(...at.map((p) => insert(p, '+ ')));
  assert.equal(n.text, '+ fever; + cough; + rash');
  assert.deepEqual(n.shown(), [['T1', 'fever'], ['T2', 'cough'], ['T3', 'rash']]);
  assert.ok(n.spans.every((s) => !isEdited(s)));
});

test('multi-cursor edits inside two spans flag both and keep the third', () => {
  const n = note('fever; cough; rash', 'fever', 'cough', 'rash');
  const changes = [n.text.indexOf('ough') + 1, n.text.indexOf('ever') + 1].map((p) => insert(p, 'X'));
  n.edit(...changes);
  assert.deepEqual(n.shown(), [['T1', 'feXver'], ['T2', 'coXugh'], ['T3', 'rash']]);
  assert.deepEqual(n.spans.map(isEdited), [true, true, false]);
});

test('changes in ascending order (each in the text the previous left) are followed as well', () => {
  const n = note('ab fever cd cough', 'fever', 'cough');
  n.edit(replace(0, 2, 'ABCD'), replace(n.text.indexOf('cd') + 2, n.text.indexOf('cd') + 4, ''));
  assert.equal(n.text, 'ABCD fever  cough');
  assert.deepEqual(n.shown(), [['T1', 'fever'], ['T2', 'cough']]);
});

test('a whole-text replacement (the file reloaded without a diff) removes every label', () => {
  const n = note('fever and cough', 'fever', 'cough');
  const r = n.edit(replace(0, n.text.length, 'something else entirely'));
  assert.equal(r.removed.length, 2);
  assert.deepEqual(n.spans, []);
});

test('an empty change moves nothing', () => {
  const n = note('fever', 'fever');
  const r = n.edit(insert(2, ''));
  assert.equal(r.changed, false);
  assert.deepEqual(n.shown(), [['T1', 'fever']]);
});

test('the difference between two texts is one change over the part between their common start and end', () => {
  assert.equal(differenceOf('same', 'same'), undefined);
  assert.deepEqual(differenceOf('aaa', 'aaaa'), { rangeOffset: 3, rangeLength: 0, text: 'a' });
  assert.deepEqual(differenceOf('Pt has pain.', 'Pt had pain.'), { rangeOffset: 5, rangeLength: 1, text: 'd' });
});
