import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../../src/engine/errors';
import type { Encoding } from '../../../src/engine/text/types';
import { effectiveWindowTokens, makeWindows, truncateEncoding } from '../../../src/engine/text/windows';

const specials = { clsId: 101, sepId: 102 };

/** n content tokens: id 1000+i, each 3 characters wide with a space between ("t0 t1 ..." laid out by offset). */
function contentEncoding(n: number): Encoding {
  return {
    ids: Array.from({ length: n }, (_, i) => 1000 + i),
    offsets: Array.from({ length: n }, (_, i) => [4 * i, 4 * i + 3] as [number, number]),
    special: new Array(n).fill(false),
  };
}

test('windows hold at most windowTokens ids including [CLS] and [SEP], overlap by stride, and the last ends at the last token', () => {
  const enc = contentEncoding(25);
  const ws = makeWindows(enc, { windowTokens: 10, stride: 3 }, specials);
  // content per window 8, step 5: [0,8) [5,13) [10,18) [15,23) [20,25)
  assert.deepEqual(ws.map((w) => [w.tokenStart, w.tokenEnd]), [[0, 8], [5, 13], [10, 18], [15, 23], [20, 25]]);
  for (const w of ws) {
    assert.ok(w.ids.length <= 10);
    assert.equal(w.ids[0], 101);
    assert.equal(w.ids.at(-1), 102);
    assert.deepEqual(w.ids.slice(1, -1), enc.ids.slice(w.tokenStart, w.tokenEnd));
    assert.deepEqual(w.offsets.slice(1, -1), enc.offsets.slice(w.tokenStart, w.tokenEnd));
    assert.equal(w.charStart, enc.offsets[w.tokenStart][0]);
    assert.equal(w.charEnd, enc.offsets[w.tokenEnd - 1][1]);
    assert.deepEqual(w.offsets[0], [w.charStart, w.charStart]);
    assert.deepEqual(w.offsets.at(-1), [w.charEnd, w.charEnd]);
  }
  for (let i = 1; i < ws.length; i++) assert.equal(ws[i - 1].tokenEnd - ws[i].tokenStart, 3);
  assert.deepEqual(ws.map((w) => w.index), [0, 1, 2, 3, 4]);
  assert.equal(ws.at(-1)!.tokenEnd, 25);
});

test('a note shorter than a window is one window; an empty note is [CLS][SEP] with an empty span', () => {
  const one = makeWindows(contentEncoding(5), { windowTokens: 512, stride: 128 }, specials);
  assert.equal(one.length, 1);
  assert.deepEqual([one[0].tokenStart, one[0].tokenEnd, one[0].charStart, one[0].charEnd], [0, 5, 0, 19]);
  assert.equal(one[0].ids.length, 7);

  const empty = makeWindows(contentEncoding(0), { windowTokens: 512, stride: 128 }, specials);
  assert.deepEqual(empty, [{ index: 0, ids: [101, 102], offsets: [[0, 0], [0, 0]], tokenStart: 0, tokenEnd: 0, charStart: 0, charEnd: 0 }]);
});

test('exactly one window of content makes one window, one token more makes two', () => {
  assert.equal(makeWindows(contentEncoding(8), { windowTokens: 10, stride: 3 }, specials).length, 1);
  const two = makeWindows(contentEncoding(9), { windowTokens: 10, stride: 3 }, specials);
  assert.deepEqual(two.map((w) => [w.tokenStart, w.tokenEnd]), [[0, 8], [5, 9]]);
});

test('special tokens in the encoding are ignored: windows are built from content tokens', () => {
  const enc = contentEncoding(4);
  const withSpecials: Encoding = {
    ids: [101, ...enc.ids, 102],
    offsets: [[0, 0], ...enc.offsets, [15, 15]],
    special: [true, false, false, false, false, true],
  };
  assert.deepEqual(makeWindows(withSpecials, { windowTokens: 6, stride: 1 }, specials), makeWindows(enc, { windowTokens: 6, stride: 1 }, specials));
});

test('stride is clamped to half the window content, so windows always advance', () => {
  const ws = makeWindows(contentEncoding(30), { windowTokens: 10, stride: 50 }, specials);
  // content 8, stride clamped to 4, step 4
  for (let i = 1; i < ws.length; i++) assert.equal(ws[i - 1].tokenEnd - ws[i].tokenStart, 4);
  const none = makeWindows(contentEncoding(20), { windowTokens: 10, stride: -5 }, specials);
  assert.deepEqual(none.map((w) => [w.tokenStart, w.tokenEnd]), [[0, 8], [8, 16], [16, 20]]);
});

test('effective window: defaults 512/128, capped by max_position_embeddings, stride clamped', () => {
  assert.deepEqual(effectiveWindowTokens(), { windowTokens: 512, stride: 128 });
  assert.deepEqual(effectiveWindowTokens({}, 8192), { windowTokens: 512, stride: 128 });
  assert.deepEqual(effectiveWindowTokens({ windowTokens: 1024, stride: 256 }, 128), { windowTokens: 128, stride: 63 });
  assert.deepEqual(effectiveWindowTokens({ windowTokens: 128, stride: 32 }, 512), { windowTokens: 128, stride: 32 });
  assert.deepEqual(effectiveWindowTokens({ windowTokens: 1, stride: 0 }), { windowTokens: 3, stride: 0 });
});

test('a window too small for [CLS], a token and [SEP] is bad input', () => {
  assert.throws(
    () => makeWindows(contentEncoding(3), { windowTokens: 2, stride: 0 }, specials),
    (e: unknown) => e instanceof EngineError && e.code === 'bad-input',
  );
});

test('truncation keeps the first window with [CLS] and [SEP]', () => {
  const t = truncateEncoding(contentEncoding(10), 5, specials);
  assert.deepEqual(t.ids, [101, 1000, 1001, 1002, 102]);
  assert.deepEqual(t.special, [true, false, false, false, true]);
  assert.deepEqual(t.offsets.at(-1), [11, 11]);
});

