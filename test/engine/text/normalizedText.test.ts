import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignCharwise, alignUnicodeNormalization, originalSpan } from '../../../src/engine/text/normalizedText';

test('text that NFC leaves alone maps to itself without tables', () => {
  const n = alignUnicodeNormalization('Résumé 🫀 ≥ µg', 'NFC');
  assert.equal(n.origStart, null);
  assert.deepEqual(originalSpan(n, 2, 5, 14), [2, 5]);
});

test('piecewise NFC equals whole-text NFC, and composed characters map to all their sources', () => {
  const text = 'cafe\u0301 n\u0303 \u1100\u1161 A\u030a\u0323x 한글 e\u0301\u0301';
  for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) {
    assert.equal(alignUnicodeNormalization(text, form).text, text.normalize(form), form);
  }
  const n = alignUnicodeNormalization('cafe\u0301!', 'NFC');
  assert.equal(n.text, 'café!');
  assert.deepEqual(originalSpan(n, 3, 4, 6), [3, 5]);
  assert.deepEqual(originalSpan(n, 4, 5, 6), [5, 6]);
  assert.deepEqual(originalSpan(n, 0, 3, 6), [0, 3]);
});

test('charwise alignment: expansions and deletions keep their sources', () => {
  const n = alignCharwise('AÉ\u0007b', (ch) => (ch === '\u0007' ? '' : ch.toLowerCase().normalize('NFD')));
  assert.equal(n.text, 'ae\u0301b');
  assert.deepEqual([...n.origStart!], [0, 1, 1, 3]);
  assert.deepEqual(originalSpan(n, 1, 3, 4), [1, 2]);
  assert.deepEqual(originalSpan(n, 3, 4, 4), [3, 4]);
  assert.deepEqual(originalSpan(n, 4, 4, 4), [4, 4]);
});
