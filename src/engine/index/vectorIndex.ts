/**
 * Nearest passages by cosine similarity, held in memory as int8 vectors and
 * loaded from the database. Why not sqlite-vec's vec0 KNN: on the 2-core
 * reference machine its exact float32 scan takes ~177 ms at 100k x 768 and its
 * int8 scan ~200 ms, above the 50 ms target; an exact int8 scan in WebAssembly
 * SIMD takes ~15 ms (docs/search.md). The int8 scores pick candidates; the
 * store re-scores them with the float32 vectors, so the final order is exact
 * unless int8 rounding pushes a true neighbour below the candidate cut.
 */
import { createInt8DotKernel, type Int8DotKernel } from './int8Dot';

export interface VectorHit {
  chunkId: number;
  docId: number;
  /** cosine similarity (vectors are L2-normalised); from int8 codes until re-scored */
  score: number;
}

export class VectorIndex {
  private n = 0;
  private ids = new Int32Array(0);
  private docs = new Int32Array(0);
  /** per vector: the float value of one int8 step */
  private steps = new Float32Array(0);
  private slots = new Map<number, number>();
  private readonly kernel: Int8DotKernel;

  constructor(
    readonly dims: number,
    opts: { simd?: boolean } = {},
  ) {
    this.kernel = createInt8DotKernel(dims, opts);
  }

  get size(): number {
    return this.n;
  }

  /** true when the WebAssembly SIMD kernel runs (not the scalar fallback) */
  get simd(): boolean {
    return this.kernel.simd;
  }

  /** bytes held for the vectors (for stats and the benchmark) */
  get bytes(): number {
    return this.kernel.capacity() * (this.kernel.stride + 12);
  }

  add(chunkId: number, docId: number, v: Float32Array): void {
    if (v.length !== this.dims) throw new Error(`vector of ${v.length} dimensions in an index of ${this.dims}`);
    if (this.slots.has(chunkId)) this.remove([chunkId]);
    if (this.n === this.kernel.capacity()) this.grow(this.n + 1);
    const s = this.n++;
    this.ids[s] = chunkId;
    this.docs[s] = docId;
    this.steps[s] = quantize(v, this.kernel.slot(s));
    this.slots.set(chunkId, s);
  }

  remove(chunkIds: Iterable<number>): void {
    for (const id of chunkIds) {
      const s = this.slots.get(id);
      if (s === undefined) continue;
      this.slots.delete(id);
      const last = --this.n;
      if (s !== last) {
        // move the last vector into the hole
        this.ids[s] = this.ids[last];
        this.docs[s] = this.docs[last];
        this.steps[s] = this.steps[last];
        this.kernel.move(last, s);
        this.slots.set(this.ids[s], s);
      }
    }
  }

  /**
   * the k nearest vectors to q by int8 score, best first; `allowDoc` restricts
   * to some documents, `perDoc` takes at most that many from one document (so
   * one long note cannot fill every place)
   */
  search(q: Float32Array, k: number, opts: { allowDoc?: (docId: number) => boolean; perDoc?: number } = {}): VectorHit[] {
    if (q.length !== this.dims || k <= 0 || this.n === 0) return [];
    const code = new Int8Array(this.kernel.stride);
    const qStep = quantize(q, code);
    const dots = this.kernel.dots(code, this.n);
    const scores = new Float32Array(this.n);
    const allow = opts.allowDoc;
    for (let s = 0; s < this.n; s++) scores[s] = allow && !allow(this.docs[s]) ? -Infinity : dots[s] * this.steps[s] * qStep;
    const hit = (s: number) => ({ chunkId: this.ids[s], docId: this.docs[s], score: scores[s] });
    const perDoc = opts.perDoc;
    if (!perDoc) return topIndices(scores, k).filter((s) => scores[s] !== -Infinity).map(hit);
    // take more of the best until k remain after the per-document cap (or there is no more)
    for (let take = Math.min(this.n, k * 2); ; take = Math.min(this.n, take * 4)) {
      const picked: number[] = [];
      const perDocCount = new Map<number, number>();
      for (const s of topIndices(scores, take)) {
        if (scores[s] === -Infinity || picked.length === k) break;
        const n = perDocCount.get(this.docs[s]) ?? 0;
        if (n >= perDoc) continue;
        perDocCount.set(this.docs[s], n + 1);
        picked.push(s);
      }
      if (picked.length === k || take >= this.n) return picked.map(hit);
    }
  }

  private grow(n: number): void {
    this.kernel.reserve(n);
    const cap = this.kernel.capacity();
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.n));
    const docs = new Int32Array(cap);
    docs.set(this.docs.subarray(0, this.n));
    const steps = new Float32Array(cap);
    steps.set(this.steps.subarray(0, this.n));
    this.ids = ids;
    this.docs = docs;
    this.steps = steps;
  }
}

/** symmetric int8 codes scaled to the vector's largest component; returns the value of one step */
function quantize(v: Float32Array, out: Int8Array): number {
  let max = 0;
  for (let j = 0; j < v.length; j++) {
    const a = Math.abs(v[j]);
    if (a > max) max = a;
  }
  if (!(max > 0) || !Number.isFinite(max)) {
    out.fill(0);
    return 0;
  }
  const scale = 127 / max;
  for (let j = 0; j < v.length; j++) out[j] = Math.round(v[j] * scale);
  return max / 127;
}

/** cosine similarity of two L2-normalised float vectors */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/** indices of the k largest scores, best first (ties: lower index first); O(n log k) */
export function topIndices(scores: Float32Array, k: number): number[] {
  if (k <= 0) return [];
  // a binary min-heap of the best k so far; the root is the worst of them
  const heap: number[] = [];
  const worse = (a: number, b: number) => scores[a] < scores[b] || (scores[a] === scores[b] && a > b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && worse(heap[l], heap[w])) w = l;
      if (r < heap.length && worse(heap[r], heap[w])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c], heap[p])) break;
        [heap[c], heap[p]] = [heap[p], heap[c]];
        c = p;
      }
    } else if (worse(heap[0], i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => scores[b] - scores[a] || a - b);
}
