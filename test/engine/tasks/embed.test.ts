import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineWindows, embedTexts, l2normalize, poolWindow } from '../../../src/engine/tasks/embed';
import type { LoadedModel, TensorOut } from '../../../src/engine/host';
import type { TokenWindow } from '../../../src/engine/text/types';

const hidden = (rows: number[][]): TensorOut => ({ data: Float32Array.from(rows.flat()), dims: [rows.length, rows[0].length] });

test('mean pooling averages every token row; cls pooling takes the first', () => {
  const h = hidden([[1, 2], [3, 4], [5, 9]]);
  assert.deepEqual(Array.from(poolWindow(h, 'mean')), [3, 5]);
  assert.deepEqual(Array.from(poolWindow(h, 'cls')), [1, 2]);
});

test('windows combine by content-token weight and the result is unit length', () => {
  const v = combineWindows([Float32Array.from([1, 0]), Float32Array.from([0, 1])], [3, 1]);
  assert.ok(Math.abs(Math.hypot(v[0], v[1]) - 1) < 1e-6);
  assert.ok(Math.abs(v[0] / v[1] - 3) < 1e-5);
  // a note with no content tokens (empty text) still gets its one window's vector
  const e = combineWindows([Float32Array.from([0, 2])], [0]);
  assert.deepEqual(Array.from(e), [0, 1]);
  assert.deepEqual(Array.from(l2normalize(new Float32Array(2))), [0, 0]);
});

test('embedTexts runs all windows of all texts in one call and maps them back', async () => {
  const win = (ids: number[], content: number): TokenWindow => ({ index: 0, ids, offsets: [], tokenStart: 0, tokenEnd: content, charStart: 0, charEnd: 0 });
  let calls = 0;
  const model = {
    info: { hidden: 2 },
    windows: (t: string) => (t === 'long' ? [win([2, 7, 7, 3], 2), win([2, 8, 3], 1)] : [win([2, 9, 3], 1)]),
    run: async (ws: readonly (readonly number[])[]) => {
      calls++;
      // each token's vector is [id, 1]: pooling results are predictable
      return ws.map((w) => ({ last_hidden_state: hidden(w.map((id) => [id, 1])) }));
    },
  } as unknown as LoadedModel;
  const r = await embedTexts(model, ['long', 'short'], 'mean');
  assert.equal(calls, 1);
  assert.equal(r.embeddings.length, 2);
  assert.deepEqual(r.tokens, [3, 1]);
  const short = r.embeddings[1];
  const expected = l2normalize(Float32Array.from([(2 + 9 + 3) / 3, 1]));
  assert.ok(Math.abs(short[0] - expected[0]) < 1e-6 && Math.abs(short[1] - expected[1]) < 1e-6);
});
