import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dot, VectorIndex, topIndices } from '../../../src/engine/index/vectorIndex';

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

test('search returns the most similar vectors, best first', () => {
  const r = rng(1);
  const idx = new VectorIndex(16);
  const vs = Array.from({ length: 200 }, () => unit(r, 16));
  vs.forEach((v, i) => idx.add(i + 1, 100 + i, v));
  const hits = idx.search(vs[42], 5);
  assert.equal(hits[0].chunkId, 43);
  assert.equal(hits[0].docId, 142);
  assert.ok(Math.abs(hits[0].score - 1) < 0.02, 'int8 scores are close to cosine');
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

test('int8 candidates (2k) hold the exact float top k, even for random vectors', () => {
  const r = rng(3);
  const d = 256;
  const vs = Array.from({ length: 3000 }, () => unit(r, d));
  const idx = new VectorIndex(d);
  vs.forEach((v, i) => idx.add(i + 1, i, v));
  let found = 0;
  for (let q = 0; q < 20; q++) {
    const query = unit(r, d);
    const exact = topIndices(Float32Array.from(vs, (v) => dot(v, query)), 10).map((i) => i + 1);
    const cands = new Set(idx.search(query, 20).map((h) => h.chunkId));
    found += exact.filter((id) => cands.has(id)).length;
  }
  assert.ok(found / 200 >= 0.97, `recall of the candidates ${found / 200}`);
});

test('the WebAssembly SIMD kernel runs and agrees with the scalar fallback', () => {
  const r = rng(5);
  const a = new VectorIndex(100);
  const b = new VectorIndex(100, { simd: false });
  assert.equal(a.simd, true);
  assert.equal(b.simd, false);
  for (let i = 0; i < 2500; i++) {
    const v = unit(r, 100);
    a.add(i + 1, i, v);
    b.add(i + 1, i, v);
  }
  a.remove([7, 1000]);
  b.remove([7, 1000]);
  const q = unit(r, 100);
  assert.deepEqual(a.search(q, 25), b.search(q, 25));
});

test('a document filter keeps other documents out', () => {
  const r = rng(4);
  const idx = new VectorIndex(8);
  for (let i = 0; i < 30; i++) idx.add(i + 1, i % 3, unit(r, 8));
  const hits = idx.search(unit(r, 8), 30, { allowDoc: (d) => d === 2 });
  assert.equal(hits.length, 10);
  assert.ok(hits.every((h) => h.docId === 2));
});

test('bad queries give no hits rather than garbage', () => {
  const idx = new VectorIndex(8);
  assert.deepEqual(idx.search(new Float32Array(8), 5), [], 'empty index');
  idx.add(1, 1, new Float32Array(8).fill(0.35));
  assert.deepEqual(idx.search(new Float32Array(4), 5), [], 'wrong dimensions');
  assert.deepEqual(idx.search(new Float32Array(8), 0), [], 'k = 0');
  assert.equal(idx.search(new Float32Array(8), 5)[0].score, 0, 'a zero query scores 0, not NaN');
  assert.throws(() => idx.add(2, 1, new Float32Array(3)), /dimensions/);
});

test('topIndices picks the k largest in order', () => {
  assert.deepEqual(topIndices(Float32Array.from([0.1, 0.9, 0.5, 0.7, 0.2]), 3), [1, 3, 2]);
  assert.deepEqual(topIndices(Float32Array.from([0.1]), 3), [0]);
});
