import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureCache, windowFeatures } from '../../../src/engine/train/featureCache';
import type { LoadedModel, TensorOut } from '../../../src/engine/host';
import type { TokenWindow } from '../../../src/engine/text/types';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('rows come back as written; another shape, a damaged file or another key is a miss', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-features-'));
  const cache = new FeatureCache({ dir });
  const key = FeatureCache.key('enc', ['last_hidden_state'], [2, 7, 3]);
  assert.notEqual(key, FeatureCache.key('enc', ['hidden_states.1', 'last_hidden_state'], [2, 7, 3]), 'layers are part of the key');
  assert.notEqual(key, FeatureCache.key('other', ['last_hidden_state'], [2, 7, 3]), 'the encoder is part of the key');
  assert.notEqual(key, FeatureCache.key('enc', ['last_hidden_state'], [2, 7, 4]), 'the ids are part of the key');
  const data = Float32Array.from({ length: 6 }, (_, i) => i * 0.5 - 1);
  cache.put(key, 3, 2, data);
  assert.deepEqual(cache.get(key, 3, 2), data);
  assert.equal(cache.get(key, 2, 3), undefined);
  assert.equal(cache.get(FeatureCache.key('enc', ['last_hidden_state'], [1]), 3, 2), undefined);
  const [file] = files(dir);
  assert.equal(statSync(file!).mode & 0o777, 0o600, 'features derive from note text: user-only');
  writeFileSync(file!, Buffer.alloc(10));
  assert.equal(cache.get(key, 3, 2), undefined);
});

test('trim keeps the most recently used files under the cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-features-'));
  const cache = new FeatureCache({ dir, maxBytes: 2 * (16 + 400) });
  const keys = [1, 2, 3, 4].map((i) => FeatureCache.key('enc', ['x'], [i]));
  keys.forEach((k, i) => {
    cache.put(k, 10, 10, new Float32Array(100).fill(i));
    const f = files(dir).find((p) => p.includes(k))!;
    utimesSync(f, new Date(1000 * (i + 1)), new Date(1000 * (i + 1)));
  });
  // key 0, the oldest, is read: it becomes the newest
  assert.ok(cache.get(keys[0]!, 10, 10));
  assert.equal(cache.trim(), 2 * 416);
  assert.deepEqual(keys.map((k) => cache.get(k, 10, 10) !== undefined), [true, false, false, true]);
});

/** a model whose encoder output is its ids (per token, per layer), counting the windows it runs */
function countingModel(): LoadedModel & { ran: number } {
  const m = {
    ran: 0,
    async run(windows: readonly (readonly number[])[], outputs: readonly string[]) {
      m.ran += windows.length;
      return windows.map((ids) => Object.fromEntries(outputs.map((o, k): [string, TensorOut] => [o, { data: Float32Array.from(ids.flatMap((id) => [id, k])), dims: [ids.length, 2] }])));
    },
  };
  return m as unknown as LoadedModel & { ran: number };
}

function windowOf(ids: number[]): TokenWindow {
  return { index: 0, ids, offsets: [], tokenStart: 0, tokenEnd: 0, charStart: 0, charEnd: 0 };
}

test('features concatenate the layers per token; cached windows and repeated windows do not run the encoder again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-features-'));
  const cache = new FeatureCache({ dir });
  const model = countingModel();
  const windows = [windowOf([1, 2]), windowOf([3]), windowOf([1, 2])];
  const req = { outputs: ['hidden_states.1', 'last_hidden_state'], hidden: 2, encoderKey: 'enc', cache };
  const first = await windowFeatures(model, windows, req);
  assert.equal(model.ran, 2, 'the repeated window ran once');
  assert.deepEqual(Array.from(first.rows[0]!), [1, 0, 1, 1, 2, 0, 2, 1]);
  assert.equal(first.width, 4);
  assert.deepEqual([first.cached, first.computed, first.tokensComputed], [0, 2, 3]);
  const second = await windowFeatures(model, windows, req);
  assert.equal(model.ran, 2, 'all from the cache');
  assert.deepEqual([second.cached, second.computed, second.tokensComputed], [3, 0, 0]);
  assert.deepEqual(second.rows.map((r) => Array.from(r)), first.rows.map((r) => Array.from(r)));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(windowFeatures(model, [windowOf([9])], { ...req, signal: ac.signal }), /cancelled/);
});
