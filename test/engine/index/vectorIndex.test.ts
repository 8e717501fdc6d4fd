import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VectorIndex, topIndices } from '../../../src/engine/index/vectorIndex';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}
function unit(r: () => number, d: number, base?: Float32Array, noise = 1): Float32Array {
  const v = new Float32Array(d);
  let n = 0;
  for (let j = 0; j < d; j++) { v[j] = (base ? base[j] : 0) + noise * r(); n += v[j] * v[j]; }
  n = Math.sqrt(n);
  for (let j = 0; j < d; j++) v[j] /= n;
  return v;
}

test('exact search returns the most similar vectors, best first', () => {
  const r = rng(1);
  const idx = new VectorIndex(16);
  const vs = Array.from({ length: 200 }, () => unit(r, 16));
  vs.forEach((v, i) => idx.add(i + 1, 100 + i, v));
  const hits = idx.search(vs[42], 5);
  assert.equal(hits[0].chunkId, 43);
  assert.equal(hits[0].docId, 142);
  assert.ok(Math.abs(hits[0].score - 1) < 1e-5);
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score);
});

test('removal takes a vector out and keeps the others findable', () => {
  const r = rng(2);
  const idx = new VectorIndex(8);
  const vs = Array.from({ length: 50 }, () => unit(r, 8));
  vs.forEach((v, i) => idx.add(i + 1, 1, v));
  idx.remove([10, 50, 999]);
  assert.equal(idx.size, 48);
  assert.notEqual(idx.search(vs[9], 1)[0].chunkId, 10);
  assert.equal(idx.search(vs[20], 1)[0].chunkId, 21);
  assert.equal(idx.search(vs[48], 1)[0].chunkId, 49, 'the vector moved into the hole is still right');
});

test('binary candidates with re-scoring agree with the exact scan on clustered vectors', () => {
  const r = rng(3);
  const d = 64;
  const centroids = Array.from({ length: 40 }, () => unit(r, d));
  const idx = new VectorIndex(d);
  for (let i = 0; i < 4000; i++) idx.add(i + 1, i, unit(r, d, centroids[i % 40], 0.15));
  idx.recalibrate();
  let agree = 0;
  for (let q = 0; q < 20; q++) {
    const query = unit(r, d, centroids[(q * 7) % 40], 0.15);
    const exact = new Set(idx.search(query, 10, { exact: true }).map((h) => h.chunkId));
    agree += idx.search(query, 10, { exact: false, candidates: 300 }).filter((h) => exact.has(h.chunkId)).length;
  }
  assert.ok(agree / 200 >= 0.95, `recall@10 ${agree / 200}`);
});

test('a document filter keeps other documents out', () => {
  const r = rng(4);
  const idx = new VectorIndex(8);
  for (let i = 0; i < 30; i++) idx.add(i + 1, i % 3, unit(r, 8));
  for (const exact of [true, false]) {
    const hits = idx.search(unit(r, 8), 30, { allowDoc: (d) => d === 2, exact, candidates: 30 });
    assert.ok(hits.length > 0 && hits.every((h) => h.docId === 2));
  }
});

test('bad queries give no hits rather than garbage', () => {
  const idx = new VectorIndex(8);
  assert.deepEqual(idx.search(new Float32Array(8), 5), [], 'empty index');
  idx.add(1, 1, new Float32Array(8).fill(0.35));
  assert.deepEqual(idx.search(new Float32Array(4), 5), [], 'wrong dimensions');
  assert.deepEqual(idx.search(new Float32Array(8), 0), [], 'k = 0');
  assert.throws(() => idx.add(2, 1, new Float32Array(3)), /dimensions/);
});

test('topIndices picks the k largest in order', () => {
  assert.deepEqual(topIndices(Float32Array.from([0.1, 0.9, 0.5, 0.7, 0.2]), 3), [1, 3, 2]);
  assert.deepEqual(topIndices(Float32Array.from([0.1]), 3), [0]);
});
