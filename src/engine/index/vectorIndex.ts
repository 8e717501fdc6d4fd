/**
 * Nearest passages by cosine similarity, held in memory and loaded from the
 * database. Why not sqlite-vec's vec0 KNN: on the 2-core reference machine its
 * exact float32 scan takes ~177 ms at 100k x 768, int8 ~200 ms and bit KNN with
 * k=200 ~50 ms, all above the 50 ms target (docs/search.md). Here:
 *  - up to EXACT_LIMIT vectors: exact float32 scan (recall 1);
 *  - above: sign bits around the per-dimension mean (so anisotropic BERT
 *    embeddings still split evenly), Hamming distance over all vectors, then
 *    exact float32 re-scoring of the closest candidates.
 */

export const EXACT_LIMIT = 20_000;

export interface VectorHit {
  chunkId: number;
  docId: number;
  /** cosine similarity (vectors are L2-normalised) */
  score: number;
}

export class VectorIndex {
  private n = 0;
  private cap = 0;
  private ids = new Int32Array(0);
  private docs = new Int32Array(0);
  private vecs = new Float32Array(0);
  private bits = new Uint32Array(0);
  private slots = new Map<number, number>();
  private thresholds: Float32Array;
  private readonly words: number;

  constructor(readonly dims: number) {
    this.words = Math.ceil(dims / 32);
    this.thresholds = new Float32Array(dims);
  }

  get size(): number {
    return this.n;
  }

  /** bytes of the typed arrays (for stats and the benchmark) */
  get bytes(): number {
    return this.vecs.byteLength + this.bits.byteLength + this.ids.byteLength * 2;
  }

  add(chunkId: number, docId: number, v: Float32Array): void {
    if (v.length !== this.dims) throw new Error(`vector of ${v.length} dimensions in an index of ${this.dims}`);
    if (this.slots.has(chunkId)) this.remove([chunkId]);
    if (this.n === this.cap) this.grow(Math.max(1024, this.cap * 2));
    const s = this.n++;
    this.ids[s] = chunkId;
    this.docs[s] = docId;
    this.vecs.set(v, s * this.dims);
    this.encode(s);
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
        this.vecs.copyWithin(s * this.dims, last * this.dims, (last + 1) * this.dims);
        this.bits.copyWithin(s * this.words, last * this.words, (last + 1) * this.words);
        this.slots.set(this.ids[s], s);
      }
    }
  }

  /** recomputes the bit thresholds from the vectors held (after a bulk load) */
  recalibrate(): void {
    const d = this.dims;
    const mean = new Float64Array(d);
    for (let s = 0; s < this.n; s++) {
      const o = s * d;
      for (let j = 0; j < d; j++) mean[j] += this.vecs[o + j];
    }
    for (let j = 0; j < d; j++) this.thresholds[j] = this.n ? mean[j] / this.n : 0;
    for (let s = 0; s < this.n; s++) this.encode(s);
  }

  /**
   * The k nearest vectors to q. `allowDoc` restricts to some documents (path
   * filter); `candidates` is how many Hamming-nearest vectors are re-scored.
   */
  search(q: Float32Array, k: number, opts: { allowDoc?: (docId: number) => boolean; candidates?: number; exact?: boolean } = {}): VectorHit[] {
    if (q.length !== this.dims || k <= 0 || this.n === 0) return [];
    const allow = opts.allowDoc;
    const exact = opts.exact ?? this.n <= EXACT_LIMIT;
    let pool: Int32Array;
    if (exact) {
      pool = new Int32Array(this.n);
      let m = 0;
      for (let s = 0; s < this.n; s++) if (!allow || allow(this.docs[s])) pool[m++] = s;
      pool = pool.subarray(0, m);
    } else pool = this.hammingNearest(q, Math.max(opts.candidates ?? 1000, k), allow);
    const scores = dotProducts(this.vecs, this.dims, pool, q);
    const order = topIndices(scores, k);
    return order.map((i) => ({ chunkId: this.ids[pool[i]], docId: this.docs[pool[i]], score: scores[i] }));
  }

  private hammingNearest(q: Float32Array, want: number, allow?: (docId: number) => boolean): Int32Array {
    const w = this.words;
    const qb = new Uint32Array(w);
    for (let j = 0; j < this.dims; j++) if (q[j] > this.thresholds[j]) qb[j >> 5] |= 1 << (j & 31);
    const dist = new Uint16Array(this.n);
    const hist = new Uint32Array(this.dims + 1);
    const skip = 0xffff;
    const bits = this.bits;
    const docs = this.docs;
    const n = this.n;
    for (let s = 0; s < n; s++) {
      if (allow && !allow(docs[s])) {
        dist[s] = skip;
        continue;
      }
      const o = s * w;
      let h = 0;
      for (let i = 0; i < w; i++) h += popcount(bits[o + i] ^ qb[i]);
      dist[s] = h;
      hist[h]++;
    }
    // the smallest distance threshold that admits `want` candidates (ties included)
    let t = 0;
    let acc = 0;
    while (t < this.dims && acc + hist[t] < want) acc += hist[t++];
    const out = new Int32Array(Math.min(this.n, acc + hist[t]));
    let m = 0;
    for (let s = 0; s < this.n && m < out.length; s++) if (dist[s] <= t) out[m++] = s;
    return out.subarray(0, m);
  }

  private encode(s: number): void {
    const d = this.dims;
    const o = s * d;
    const b = s * this.words;
    for (let i = 0; i < this.words; i++) this.bits[b + i] = 0;
    for (let j = 0; j < d; j++) if (this.vecs[o + j] > this.thresholds[j]) this.bits[b + (j >> 5)] |= 1 << (j & 31);
  }

  private grow(cap: number): void {
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.n));
    const docs = new Int32Array(cap);
    docs.set(this.docs.subarray(0, this.n));
    const vecs = new Float32Array(cap * this.dims);
    vecs.set(this.vecs.subarray(0, this.n * this.dims));
    const bits = new Uint32Array(cap * this.words);
    bits.set(this.bits.subarray(0, this.n * this.words));
    Object.assign(this, { ids, docs, vecs, bits, cap });
  }
}

/** q against the vectors at the given slots; plain locals keep V8's loop tight */
function dotProducts(vecs: Float32Array, d: number, pool: Int32Array, q: Float32Array): Float32Array {
  const scores = new Float32Array(pool.length);
  for (let i = 0; i < pool.length; i++) {
    const o = pool[i] * d;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j + 3 < d; j += 4) {
      a0 += vecs[o + j] * q[j];
      a1 += vecs[o + j + 1] * q[j + 1];
      a2 += vecs[o + j + 2] * q[j + 2];
      a3 += vecs[o + j + 3] * q[j + 3];
    }
    for (; j < d; j++) a0 += vecs[o + j] * q[j];
    scores[i] = a0 + a1 + a2 + a3;
  }
  return scores;
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** indices of the k largest scores, best first */
export function topIndices(scores: Float32Array, k: number): number[] {
  const heap: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      if (heap.length === k) heap.sort((a, b) => scores[a] - scores[b]);
    } else if (scores[i] > scores[heap[0]]) {
      // replace the smallest, keep ascending order by insertion
      heap[0] = i;
      for (let j = 0; j + 1 < heap.length && scores[heap[j]] > scores[heap[j + 1]]; j++) [heap[j], heap[j + 1]] = [heap[j + 1], heap[j]];
    }
  }
  return heap.sort((a, b) => scores[b] - scores[a] || a - b);
}
