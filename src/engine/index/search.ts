/**
 * Hybrid search over one folder's index: FTS5 BM25 and vector KNN, each giving
 * its top passages, fused by reciprocal rank fusion and grouped by note. User
 * text never reaches FTS5 as syntax: the query is cut into words and each word
 * is quoted, so punctuation and operators (AND, NEAR, *, ") are just text.
 */
import { hasVectors, type ChunkEmbedder } from './embedder';
import { compileGlob } from './glob';
import type { IndexStore } from './store';

/** reciprocal rank fusion constant (Cormack et al. 2009) */
export const RRF_K = 60;
/** passages each ranker contributes before fusion (more when k asks for more notes) */
const PER_RANKER = 50;
/**
 * passages one note may contribute to a ranker: without a cap, a note of
 * thousands of matching passages (a 4 MB dictation) takes every place and the
 * search returns that one note
 */
export const MAX_PASSAGES_PER_NOTE = 3;
const MAX_QUERY_TERMS = 32;
const MAX_TERM_CHARS = 64;
/** characters of a query that are embedded; the rest adds little and costs time */
const MAX_EMBED_QUERY_CHARS = 4000;
const SNIPPET_CHARS = 320;

export type Ranker = 'lexical' | 'semantic';

export interface NoteResult {
  /** relative to the notes folder, '/' separated */
  path: string;
  /** fused score (higher is better); cosine similarity for find-similar */
  score: number;
  /** the rankers that found this note's best passage */
  rankers: Ranker[];
  /** the best passage: [start, end) UTF-16 offsets into the note */
  passage: { start: number; end: number };
  /** part of the best passage, and where it starts in the note */
  snippet: string;
  snippetStart: number;
  /** matched query words, [start, end) offsets into `snippet` */
  highlights: Array<[number, number]>;
  /** passages of this note that either ranker returned */
  passages: number;
}

export interface SearchResponse {
  results: NoteResult[];
  /** true when only words were matched (no usable vectors) */
  lexicalOnly: boolean;
  /** why the search is lexical only, in words for the user */
  reason?: string;
  ms: number;
}

export interface SearchOptions {
  query: string;
  /** notes to return (default 10) */
  k?: number;
  /** only notes whose relative path matches this glob */
  pathGlob?: string;
  signal?: AbortSignal;
  /** shown when the embedder cannot give vectors (no model, demo model) */
  noVectorsReason?: string;
}

interface ChunkHit {
  chunkId: number;
  docId: number;
  ranks: Partial<Record<Ranker, number>>;
  fused: number;
  cosine?: number;
}

/** the words of a query, lower-cased, deduplicated, at most 32 of at most 64 characters */
export function queryTerms(query: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const m of query.matchAll(/[\p{L}\p{N}]+/gu)) {
    const t = m[0].toLowerCase().slice(0, MAX_TERM_CHARS);
    if (seen.has(t)) continue;
    seen.add(t);
    out.push(t);
    if (out.length >= MAX_QUERY_TERMS) break;
  }
  return out;
}

/**
 * A term in more than a tenth of the passages (and more than 1000: small
 * indexes are cheap to rank fully) is left out of the query if a rarer one
 * remains; BM25 gives it almost no weight anyway.
 */
const COMMON_TERM_SHARE = 0.1;
const COMMON_TERM_MIN = 1000;

/**
 * The query terms worth matching: terms absent from the index and common
 * terms (stop words, "patient") are dropped, unless nothing rarer is left, in
 * which case the rarest stays and `common` says whether it is in most passages.
 */
export async function selectiveTerms(store: IndexStore, terms: string[]): Promise<{ terms: string[]; common: boolean }> {
  if (!terms.length) return { terms, common: false };
  const folded = terms.map(foldWord);
  const { counts, passages } = await store.termCounts([...new Set(folded)]);
  const present = [...new Set(folded)].filter((t) => (counts.get(t) ?? 0) > 0);
  if (!present.length) return { terms: [], common: false };
  const total = Math.max(1, passages);
  const limit = Math.max(COMMON_TERM_SHARE * total, COMMON_TERM_MIN);
  const selective = present.filter((t) => counts.get(t)! <= limit);
  if (selective.length) return { terms: selective, common: false };
  const rarest = present.reduce((a, b) => (counts.get(b)! < counts.get(a)! ? b : a));
  return { terms: [rarest], common: counts.get(rarest)! > Math.max(0.25 * total, 5 * COMMON_TERM_MIN) };
}

/** an FTS5 MATCH expression where every term is a quoted string: never a syntax error */
export function ftsExpression(terms: string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

export async function searchIndex(store: IndexStore, embedder: ChunkEmbedder, opts: SearchOptions): Promise<SearchResponse> {
  const t0 = performance.now();
  const k = clampK(opts.k);
  const terms = queryTerms(opts.query);
  const filter = await docFilter(store, opts.pathGlob);
  const hits = new Map<number, ChunkHit>();
  const add = (chunkId: number, docId: number, ranker: Ranker, rank: number, cosine?: number) => {
    let h = hits.get(chunkId);
    if (!h) hits.set(chunkId, (h = { chunkId, docId, ranks: {}, fused: 0 }));
    h.ranks[ranker] = rank;
    h.fused += 1 / (RRF_K + rank);
    if (cosine !== undefined) h.cosine = cosine;
  };

  // the two rankers run side by side: FTS5 in sqlite's thread, the vector scan here
  const lexicalSide = async () => {
    const lexical = await selectiveTerms(store, terms);
    if (!lexical.terms.length) return { lexical, rows: [] };
    const rows = await lexicalPassages(store, ftsExpression(lexical.terms), lexical.common, filter, k);
    return { lexical, rows };
  };
  const vectorSide = async () => {
    const vectors = await vectorAvailability(store, embedder, opts.noVectorsReason);
    if (!vectors.ok || !opts.query.trim()) return { vectors, found: [] };
    const [q] = await embedder.embed([opts.query.slice(0, MAX_EMBED_QUERY_CHARS)], opts.signal);
    const want = Math.max(PER_RANKER, k * MAX_PASSAGES_PER_NOTE);
    return { vectors, found: await store.nearest(q, want, filter ? (d) => filter.has(d) : undefined, MAX_PASSAGES_PER_NOTE) };
  };
  const [{ lexical, rows }, { vectors, found }] = await Promise.all([lexicalSide(), vectorSide()]);
  rows.forEach((r, i) => add(r.chunk_id, r.doc_id, 'lexical', i + 1));
  found.forEach((h, i) => add(h.chunkId, h.docId, 'semantic', i + 1, h.score));

  const results = await groupByNote(store, [...hits.values()], k, lexical.terms.length ? lexical.terms : terms, (h) => h.fused);
  return { results, lexicalOnly: !vectors.ok, reason: vectors.ok ? undefined : vectors.reason, ms: Math.round(performance.now() - t0) };
}

/** notes whose passages are closest in meaning to the text (vectors only) */
export async function findSimilar(
  store: IndexStore,
  embedder: ChunkEmbedder,
  opts: { text: string; k?: number; excludePath?: string; pathGlob?: string; signal?: AbortSignal; noVectorsReason?: string },
): Promise<SearchResponse> {
  const t0 = performance.now();
  const vectors = await vectorAvailability(store, embedder, opts.noVectorsReason);
  if (!vectors.ok) return { results: [], lexicalOnly: true, reason: vectors.reason, ms: Math.round(performance.now() - t0) };
  const text = opts.text.slice(0, 200_000);
  const chunks = embedder.chunk(text).slice(0, 16);
  if (!chunks.length) return { results: [], lexicalOnly: false, ms: Math.round(performance.now() - t0) };
  const embs = await embedder.embed(chunks.map((c) => text.slice(c.start, c.end)), opts.signal);
  const q = meanNormalised(embs, embedder.dims);
  const filter = await docFilter(store, opts.pathGlob);
  const excluded = opts.excludePath ? (await store.document(opts.excludePath))?.id : undefined;
  const k = clampK(opts.k);
  const found = await store.nearest(q, Math.max(PER_RANKER * 4, k * MAX_PASSAGES_PER_NOTE), (d) => d !== excluded && (!filter || filter.has(d)), MAX_PASSAGES_PER_NOTE);
  const hits: ChunkHit[] = found.map((h, i) => ({ chunkId: h.chunkId, docId: h.docId, ranks: { semantic: i + 1 }, fused: h.score, cosine: h.score }));
  const results = await groupByNote(store, hits, k, [], (h) => h.cosine ?? 0);
  return { results, lexicalOnly: false, ms: Math.round(performance.now() - t0) };
}

/**
 * The best lexical passages, at most MAX_PASSAGES_PER_NOTE of one note, until
 * there are PER_RANKER of them from at least k notes or no more match. Ranked
 * by BM25 inside the FTS table (only the winners are joined to their notes);
 * when too few notes are among them, a larger cut is ranked again. A term in
 * most passages is taken in index order instead (BM25 would score them all
 * and rank nothing), skipping past a note once it has given its share.
 */
async function lexicalPassages(store: IndexStore, expr: string, common: boolean, filter: Set<number> | undefined, k: number): Promise<Array<{ chunk_id: number; doc_id: number }>> {
  const kept: Array<{ chunk_id: number; doc_id: number }> = [];
  const perNote = new Map<number, number>();
  const enough = () => kept.length >= PER_RANKER && perNote.size >= k;
  const consider = (r: { chunk_id: number; doc_id: number }) => {
    if (filter && !filter.has(r.doc_id)) return;
    const n = perNote.get(r.doc_id) ?? 0;
    if (n >= MAX_PASSAGES_PER_NOTE) return;
    perNote.set(r.doc_id, n + 1);
    kept.push(r);
  };
  if (!common) {
    for (let limit = PER_RANKER * (filter ? 20 : 4); ; limit *= 8) {
      // rank inside the FTS table first and join only the winners (3x faster at 50k passages than join-then-sort)
      const rows = await store.db.all<{ chunk_id: number; doc_id: number }>(
        `SELECT f.rowid AS chunk_id, c.doc_id AS doc_id
         FROM (SELECT rowid, bm25(chunks_fts) AS o FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY o LIMIT ?) f
         JOIN chunks c ON c.id = f.rowid ORDER BY f.o, f.rowid`,
        [expr, limit],
      );
      kept.length = 0;
      perNote.clear();
      for (const r of rows) {
        consider(r);
        if (enough()) return kept;
      }
      if (rows.length < limit) return kept;
    }
  }
  const page = PER_RANKER * 4;
  for (let after = -1, round = 0; round < 256; round++) {
    const rows = await store.db.all<{ chunk_id: number; doc_id: number }>(
      `SELECT f.rowid AS chunk_id, c.doc_id AS doc_id
       FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid > ? ORDER BY rowid LIMIT ?) f
       JOIN chunks c ON c.id = f.rowid ORDER BY f.rowid`,
      [expr, after, page],
    );
    for (const r of rows) {
      consider(r);
      if (enough()) return kept;
    }
    if (rows.length < page) return kept;
    const last = rows[rows.length - 1];
    after = last.chunk_id;
    // the rest of a note that has given its share (a note's passages are written together, so their ids are adjacent)
    if ((perNote.get(last.doc_id) ?? 0) >= MAX_PASSAGES_PER_NOTE || (filter && !filter.has(last.doc_id))) {
      const end = await store.db.get<{ id: number | null }>('SELECT max(id) AS id FROM chunks WHERE doc_id = ?', [last.doc_id]);
      after = Math.max(after, end?.id ?? after);
    }
  }
  return kept;
}

async function vectorAvailability(store: IndexStore, embedder: ChunkEmbedder, noVectorsReason?: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!hasVectors(embedder)) {
    return { ok: false, reason: noVectorsReason ?? 'The loaded model is a demo or random-weight model, so notes are matched by words only.' };
  }
  const meta = await store.metaValues(['fingerprint', 'vectors']);
  if (meta.get('fingerprint') !== embedder.fingerprint || meta.get('vectors') !== '1') {
    return { ok: false, reason: 'The index was built without this model; update the index to search by meaning. Until then notes are matched by words only.' };
  }
  return { ok: true };
}

async function docFilter(store: IndexStore, glob: string | undefined): Promise<Set<number> | undefined> {
  if (!glob?.trim()) return undefined;
  const re = compileGlob(glob);
  const ids = new Set<number>();
  await store.db.each<{ id: number; path: string }>("SELECT id, path FROM documents WHERE status = 'indexed'", [], (r) => {
    if (re.test(r.path)) ids.add(r.id);
  });
  return ids;
}

async function groupByNote(store: IndexStore, hits: ChunkHit[], k: number, terms: string[], score: (h: ChunkHit) => number): Promise<NoteResult[]> {
  const byDoc = new Map<number, { best: ChunkHit; n: number }>();
  for (const h of hits) {
    const g = byDoc.get(h.docId);
    if (!g) byDoc.set(h.docId, { best: h, n: 1 });
    else {
      g.n++;
      if (score(h) > score(g.best)) g.best = h;
    }
  }
  const top = [...byDoc.values()].sort((a, b) => score(b.best) - score(a.best) || a.best.chunkId - b.best.chunkId).slice(0, k);
  if (!top.length) return [];
  const ids = top.map((g) => g.best.chunkId);
  const rows = await store.db.all<{ id: number; char_start: number; char_end: number; text: string; path: string }>(
    `SELECT c.id, c.char_start, c.char_end, c.text, d.path FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.id IN (${ids.map(() => '?').join(',')})`,
    ids,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const folded = new Set(terms.map(foldWord));
  const out: NoteResult[] = [];
  for (const g of top) {
    const r = byId.get(g.best.chunkId);
    if (!r) continue; // deleted between the two queries
    const snip = snippetOf(r.text, folded);
    out.push({
      path: r.path,
      score: score(g.best),
      rankers: (['lexical', 'semantic'] as const).filter((x) => g.best.ranks[x] !== undefined),
      passage: { start: r.char_start, end: r.char_end },
      snippet: snip.text,
      snippetStart: r.char_start + snip.offset,
      highlights: snip.highlights,
      passages: g.n,
    });
  }
  return out;
}

/** case- and accent-insensitive, as FTS5's unicode61 tokenizer with remove_diacritics */
function foldWord(w: string): string {
  return w.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** the part of a passage with the most matched words, and the matches within it */
export function snippetOf(text: string, foldedTerms: Set<string>, size = SNIPPET_CHARS): { text: string; offset: number; highlights: Array<[number, number]> } {
  const matches: Array<[number, number]> = [];
  if (foldedTerms.size) {
    for (const m of text.matchAll(/[\p{L}\p{N}]+/gu)) if (foldedTerms.has(foldWord(m[0]))) matches.push([m.index!, m.index! + m[0].length]);
  }
  let start = 0;
  let end = text.length;
  if (text.length > size) {
    // the window of `size` characters holding the most matches
    let bestAt = matches.length ? matches[0][0] : 0;
    let bestN = 0;
    for (let i = 0, j = 0; i < matches.length; i++) {
      while (j < matches.length && matches[j][1] - matches[i][0] <= size) j++;
      if (j - i > bestN) {
        bestN = j - i;
        bestAt = matches[i][0];
      }
    }
    start = Math.max(0, bestAt - Math.floor(size / 4));
    if (start > 0) {
      const ws = text.slice(start, start + 40).search(/\s/);
      if (ws >= 0) start += ws + 1;
    }
    end = Math.min(text.length, start + size);
    if (end < text.length) {
      const ws = text.slice(start, end).search(/\s\S*$/);
      if (ws > size / 2) end = start + ws;
    }
  }
  const highlights = matches.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s - start, e - start] as [number, number]);
  return { text: text.slice(start, end), offset: start, highlights };
}

function meanNormalised(vs: Float32Array[], dims: number): Float32Array {
  const out = new Float32Array(dims);
  for (const v of vs) for (let j = 0; j < dims; j++) out[j] += v[j];
  let n = 0;
  for (let j = 0; j < dims; j++) n += out[j] * out[j];
  n = Math.sqrt(n) || 1;
  for (let j = 0; j < dims; j++) out[j] /= n;
  return out;
}

function clampK(k: number | undefined): number {
  return Math.max(1, Math.min(200, Math.floor(Number.isFinite(k) ? (k as number) : 10)));
}
