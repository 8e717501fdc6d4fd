/**
 * A deterministic stand-in for the model: hashed bag-of-words vectors,
 * L2-normalised, where words of one concept (SYNONYMS) share a dimension, so
 * "meaning" can be tested without lexical overlap.
 */
import type { ChunkEmbedder } from '../../../src/engine/index/embedder';
import { chunkByWords } from '../../../src/engine/index/wordChunker';

const SYNONYMS: Record<string, string> = {
  afib: 'arrhythmia',
  fibrillation: 'arrhythmia',
  arrhythmia: 'arrhythmia',
  palpitations: 'arrhythmia',
  amiodarone: 'antiarrhythmic',
  antiarrhythmic: 'antiarrhythmic',
  fracture: 'bone',
  broken: 'bone',
  femur: 'bone',
};

export function hashWord(w: string, dims: number): number {
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619);
  return (h >>> 0) % dims;
}

export function fakeVector(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) v[hashWord(SYNONYMS[m[0]] ?? m[0], dims)] += 1;
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n === 0) v[0] = 1;
  else for (let i = 0; i < dims; i++) v[i] /= n;
  return v;
}

export interface FakeEmbedderOptions {
  dims?: number;
  demo?: boolean;
  fingerprint?: string;
  chars?: number;
  /** ms to wait per embed call (to make a run slow enough to kill) */
  delayMs?: number;
}

export function fakeEmbedder(o: FakeEmbedderOptions = {}): ChunkEmbedder & { calls: number; texts: number } {
  const dims = o.dims ?? 256;
  const e = {
    fingerprint: o.fingerprint ?? `fake:${dims}`,
    dims,
    demo: o.demo ?? false,
    calls: 0,
    texts: 0,
    chunk: (text: string) => chunkByWords(text, { chars: o.chars ?? 400, overlap: 50 }),
    async embed(texts: string[], signal?: AbortSignal) {
      e.calls++;
      e.texts += texts.length;
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      if (signal?.aborted) throw new Error('aborted');
      return texts.map((t) => fakeVector(t, dims));
    },
  };
  return e;
}
