/**
 * The code-set database: one sqlite file per installed release, built once,
 * then opened read-only. Codes are looked up by primary key (cached in memory);
 * descriptions are searched through FTS5 with prefix indexes so that typing
 * "type 2 diab" finds "Type 2 diabetes mellitus" as the user types.
 *
 * Rows are stored shortest description first, so row order is the result
 * order: a search reads matches in rowid order and stops at the limit, instead
 * of ranking every match of a common word ("fracture": 30,000 rows) per keystroke.
 */
import * as fs from 'node:fs';
import sqlite3 from 'sqlite3';
import { EngineError } from '../errors';
import type { Blocks } from './blocks';
import { withCodeSetWording } from './clinicalWording';
import type { CodeRecord } from './codesets';
import type { GemRow } from './gems';
import { ALL_SYSTEMS, type IcdSystem } from './systems';

export interface StoreMeta {
  /** when the store was built (ISO date) */
  builtAt: string;
  /** where the files came from: URLs or a folder */
  source: string;
  /** file names the store was built from */
  files: string[];
  counts: Partial<Record<IcdSystem, { codes: number; billable: number }>>;
  warnings: string[];
  /** ICD-10-CM blocks known (from the tabular list), 0 when none */
  blocks?: number;
  /** GEM mappings installed, 0 when none */
  gems?: number;
}

const SCHEMA_VERSION = '1';

function run(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (e) => (e ? reject(e) : resolve())));
}

function all<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as T[]))));
}

function close(db: sqlite3.Database): Promise<void> {
  return new Promise((resolve, reject) => db.close((e) => (e ? reject(e) : resolve())));
}

function openDb(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, mode, (e) => (e ? reject(e) : resolve(db)));
  });
}

interface Row {
  system: IcdSystem;
  code: string;
  billable: number;
  short: string;
  long: string;
}

// a short title equal to the long one is stored empty: half the PCS and most ICD-10-CM titles, indexed once instead of twice
const toRecord = (r: Row): CodeRecord => ({ system: r.system, code: r.code, billable: r.billable === 1, short: r.short || r.long, long: r.long });

/**
 * Writes a new store to `file` (which must not exist), created user-only (0600):
 * code sets are not secret, but the folder may hold note indexes beside them.
 */
export async function buildStore(file: string, records: Iterable<CodeRecord>, meta: StoreMeta, signal?: AbortSignal, blocks?: Blocks, gems: GemRow[] = []): Promise<void> {
  fs.closeSync(fs.openSync(file, 'wx', 0o600));
  const db = await openDb(file, sqlite3.OPEN_READWRITE);
  try {
    await run(db, 'PRAGMA journal_mode = OFF');
    await run(db, 'PRAGMA synchronous = OFF');
    await run(db, 'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    await run(db, 'CREATE TABLE codes (id INTEGER PRIMARY KEY, system TEXT NOT NULL, code TEXT NOT NULL, billable INTEGER NOT NULL, short TEXT NOT NULL, long TEXT NOT NULL)');
    await run(db, "CREATE VIRTUAL TABLE codes_fts USING fts5(long, short, content='codes', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3', detail='column')");
    await run(db, 'BEGIN');
    // many rows per statement: each node-sqlite3 call is a round trip through the thread pool
    const ordered = inResultOrder(records);
    const BATCH = 200;
    const batchSql = (n: number) => `INSERT INTO codes (system, code, billable, short, long) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')}`;
    for (let i = 0; i < ordered.length; i += BATCH) {
      if (signal?.aborted) throw new EngineError('cancelled', 'Installing the code sets was cancelled.');
      const rows = ordered.slice(i, i + BATCH);
      await run(db, batchSql(rows.length), rows.flatMap((r) => [r.system, r.code, r.billable ? 1 : 0, r.short === r.long ? '' : r.short, r.long]));
    }
    await run(db, 'CREATE TABLE gems (from_system TEXT NOT NULL, from_code TEXT NOT NULL, to_system TEXT NOT NULL, to_code TEXT NOT NULL, approximate INTEGER NOT NULL, combination INTEGER NOT NULL)');
    for (let i = 0; i < gems.length; i += BATCH) {
      if (signal?.aborted) throw new EngineError('cancelled', 'Installing the code sets was cancelled.');
      const rows = gems.slice(i, i + BATCH);
      await run(db, `INSERT INTO gems VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, rows.flatMap((g) => [g.from, g.fromCode, g.to, g.toCode, g.approximate ? 1 : 0, g.combination ? 1 : 0]));
    }
    await run(db, 'COMMIT');
    await run(db, 'CREATE INDEX gems_by_source ON gems (from_code, from_system)');
    await run(db, 'CREATE UNIQUE INDEX codes_by_code ON codes (code, system)');
    await run(db, "INSERT INTO codes_fts (codes_fts) VALUES ('rebuild')");
    await run(db, "INSERT INTO codes_fts (codes_fts) VALUES ('optimize')");
    await run(db, 'INSERT INTO meta (key, value) VALUES (?, ?), (?, ?), (?, ?)', ['schema', SCHEMA_VERSION, 'meta', JSON.stringify(meta), 'blocks', JSON.stringify(blocks ?? { titles: {}, categories: {} })]);
  } finally {
    await close(db);
  }
}

const SYSTEM_ORDER: Record<IcdSystem, number> = { icd10cm: 0, icd10pcs: 1, 'icd9cm-dx': 2, 'icd9cm-sg': 3 };

/** shortest (most general) description first; then current systems first; then by code */
function inResultOrder(records: Iterable<CodeRecord>): CodeRecord[] {
  return [...records].sort((a, b) => a.long.length - b.long.length || SYSTEM_ORDER[a.system] - SYSTEM_ORDER[b.system] || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

const STOP_WORDS = new Set(['of', 'the', 'and', 'or', 'to', 'in', 'on', 'a', 'an', 'by', 'for', 'at', 'as']);

const WORD = /[\p{L}\p{N}]+/gu;
/** words of notes that no code description is chosen by */
const NOTE_STOP_WORDS = new Set([...STOP_WORDS, 'is', 'are', 'was', 'were', 'be', 'been', 'has', 'had', 'have', 'pt', 'patient', 'patients', 'denies', 'reports', 'with']);
const MAX_RANKING_TERMS = 32;
/** a stem in more than this share of all descriptions fetches no candidates while a rarer one does */
const COMMON_STEM_SHARE = 0.05;
/** small stores are cheap to rank whole */
const COMMON_STEM_MIN = 1000;

/** case- and accent-insensitive, as the FTS table's unicode61 tokenizer with remove_diacritics */
function fold(w: string): string {
  return w.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The words of free text as FTS5 prefixes: stop words and single letters
 * dropped, common suffixes cut ("diabetic" -> "diabet", "hypertension" ->
 * "hypertens", "fractured" -> "fractur", at least four letters kept), at most
 * 32, deduplicated. Quoted when used, so no text is FTS5 syntax.
 */
export function rankingStems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const w = fold(m[0]).slice(0, 64);
    if (NOTE_STOP_WORDS.has(w) || /^\p{L}$/u.test(w)) continue;
    const stem = stemOf(w);
    if (!out.includes(stem)) out.push(stem);
    if (out.length >= MAX_RANKING_TERMS) break;
  }
  return out;
}

const NUMBER = /^\p{N}+$/u;
/** a description word holds a stem: as its prefix, or whole for a number */
function matchesStem(word: string, stem: string): boolean {
  return NUMBER.test(stem) ? word === stem : word.startsWith(stem);
}

/** longest first; a cut must leave four letters */
// no -ity: "community" cut to "commun" would find "communicating"
const SUFFIXES = ['ations', 'ation', 'ically', 'ical', 'ions', 'ion', 'ies', 'ing', 'ive', 'ed', 'es', 'ic', 'al', 'ly', 's', 'y'];

/** a light suffix cut for prefix matching: every form of a word keeps its stem as a prefix */
function stemOf(w: string): string {
  if (!/^\p{L}{5,}$/u.test(w)) return w;
  for (const suffix of SUFFIXES) if (w.endsWith(suffix) && w.length - suffix.length >= 4) return w.slice(0, -suffix.length);
  return w;
}

export interface SearchOptions {
  limit?: number;
  systems?: IcdSystem[];
}

export class IcdStore {
  private readonly cache = new Map<string, CodeRecord[]>();
  private readonly underCache = new Map<string, CodeRecord[]>();
  private readonly stemCountCache = new Map<string, number>();
  private vocab: Promise<void> | undefined;
  private static readonly CACHE_LIMIT = 20000;

  private constructor(
    private readonly db: sqlite3.Database,
    readonly meta: StoreMeta,
    readonly file: string,
    private readonly blocks: Blocks,
  ) {}

  /** the ICD-10-CM block of a 3-character category, when the tabular list was installed */
  blockOf(category: string): { id: string; title: string } | undefined {
    const id = this.blocks.categories[category];
    return id ? { id, title: this.blocks.titles[id] ?? '' } : undefined;
  }

  static async open(file: string): Promise<IcdStore> {
    let db: sqlite3.Database;
    try {
      db = await openDb(file, sqlite3.OPEN_READONLY);
    } catch (e) {
      throw new EngineError('missing-file', `The ICD code-set database ${file} cannot be opened (${(e as Error).message}). Install the code sets again.`);
    }
    try {
      const rows = await all<{ key: string; value: string }>(db, 'SELECT key, value FROM meta');
      const m = new Map(rows.map((r) => [r.key, r.value]));
      if (m.get('schema') !== SCHEMA_VERSION) throw new Error(`schema ${m.get('schema') ?? 'missing'}`);
      return new IcdStore(db, JSON.parse(m.get('meta') ?? '{}') as StoreMeta, file, JSON.parse(m.get('blocks') ?? '{"titles":{},"categories":{}}') as Blocks);
    } catch (e) {
      await close(db);
      throw new EngineError('bad-input', `The ICD code-set database ${file} is damaged or from another version (${(e as Error).message}). Install the code sets again.`);
    }
  }

  systems(): IcdSystem[] {
    return ALL_SYSTEMS.filter((s) => (this.meta.counts[s]?.codes ?? 0) > 0);
  }

  /** Every system's record for each undotted code (missing codes are absent from the map). */
  async lookup(codes: string[]): Promise<Map<string, CodeRecord[]>> {
    const out = new Map<string, CodeRecord[]>();
    const missing: string[] = [];
    for (const c of new Set(codes)) {
      const hit = this.cache.get(c);
      if (hit) out.set(c, hit);
      else missing.push(c);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = await all<Row>(this.db, `SELECT system, code, billable, short, long FROM codes WHERE code IN (${chunk.map(() => '?').join(',')})`, chunk);
      const found = new Map<string, CodeRecord[]>();
      for (const r of rows) {
        const list = found.get(r.code) ?? [];
        list.push(toRecord(r));
        found.set(r.code, list);
      }
      for (const c of chunk) {
        const list = found.get(c) ?? [];
        this.remember(c, list);
        if (list.length) out.set(c, list);
      }
    }
    return out;
  }

  /**
   * ICD-9-CM codes listed under each category code ("8232" -> 82320, 82321, 82322), at most
   * `limit` per category: the CMS ICD-9-CM files list billable codes only, not their categories.
   */
  async icd9CodesUnder(categories: string[], limit = 50): Promise<Map<string, CodeRecord[]>> {
    const out = new Map<string, CodeRecord[]>();
    for (const c of new Set(categories)) {
      const key = `${limit}:${c}`;
      let list = this.underCache.get(key);
      if (!list) {
        const rows = await all<Row>(
          this.db,
          "SELECT system, code, billable, short, long FROM codes WHERE code > ? AND code < ? AND system IN ('icd9cm-dx', 'icd9cm-sg') ORDER BY system, code LIMIT ?",
          [c, `${c}\u{ffff}`, limit],
        );
        list = rows.map(toRecord);
        if (this.underCache.size >= IcdStore.CACHE_LIMIT) this.underCache.delete(this.underCache.keys().next().value as string);
        this.underCache.set(key, list);
      }
      if (list.length) out.set(c, list);
    }
    return out;
  }

  /**
   * Codes starting with the query (when it looks like a code), then
   * descriptions matching every word as a prefix, shortest description first.
   */
  async search(query: string, opts: SearchOptions = {}): Promise<CodeRecord[]> {
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
    const systems = opts.systems?.length ? opts.systems : undefined;
    const sysClause = systems ? ` AND system IN (${systems.map(() => '?').join(',')})` : '';
    const sysParams = systems ?? [];
    const out: CodeRecord[] = [];
    const seen = new Set<string>();
    const add = (rows: Row[]) => {
      for (const r of rows) {
        const key = `${r.system}:${r.code}`;
        if (!seen.has(key) && out.length < limit) {
          seen.add(key);
          out.push(toRecord(r));
        }
      }
    };
    const asCode = query.replace(/[\s.]/g, '').toUpperCase();
    if (/^[0-9A-Z]{1,7}$/.test(asCode) && /[0-9]/.test(asCode)) {
      // the (code, system) index gives prefix order: E11 before E110 before E1100
      add(await all<Row>(this.db, `SELECT system, code, billable, short, long FROM codes WHERE code >= ? AND code < ?${sysClause} ORDER BY code LIMIT ?`, [asCode, `${asCode}\u{ffff}`, ...sysParams, limit]));
    }
    const typed = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    // "of" is in most titles: matching it only slows the search ("fracture of neck of right femur")
    const content = typed.filter((w) => !STOP_WORDS.has(w));
    const words = content.length ? content : typed;
    if (words.length && out.length < limit) {
      const match = words.map((w) => `"${w}"*`).join(' AND ');
      add(
        await all<Row>(
          this.db,
          `SELECT c.system, c.code, c.billable, c.short, c.long FROM codes_fts f JOIN codes c ON c.id = f.rowid WHERE codes_fts MATCH ?${sysClause.replace('system', 'c.system')} ORDER BY f.rowid LIMIT ?`,
          [match, ...sysParams, limit],
        ),
      );
    }
    return out;
  }

  /**
   * Descriptions holding a word that starts with each stem (an upper bound: a
   * description with two such words counts twice), from a temporary fts5vocab
   * table over the read-only store; remembered, as the store never changes.
   */
  private async stemCounts(stems: string[]): Promise<Map<string, number>> {
    const missing = stems.filter((s) => !this.stemCountCache.has(s));
    if (missing.length) {
      this.vocab ??= run(this.db, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.codes_vocab USING fts5vocab(main, 'codes_fts', 'row')");
      await this.vocab;
      for (const s of missing) {
        const r = await all<{ n: number | null }>(this.db, 'SELECT sum(doc) AS n FROM temp.codes_vocab WHERE term >= ? AND term < ?', [s, `${s}\u{ffff}`]);
        if (this.stemCountCache.size > 5000) this.stemCountCache.clear();
        this.stemCountCache.set(s, r[0]?.n ?? 0);
      }
    }
    return new Map(stems.map((s) => [s, this.stemCountCache.get(s) ?? 0]));
  }

  /** every record of one system, in code order (for embedding the code set) */
  async records(system: IcdSystem): Promise<CodeRecord[]> {
    const rows = await all<Row>(this.db, 'SELECT system, code, billable, short, long FROM codes WHERE system = ? ORDER BY code', [system]);
    return rows.map(toRecord);
  }

  /**
   * Codes whose descriptions share the most words with free text (a selected
   * phrase, a diagnosis line), best first. Unlike search(), which wants every
   * typed word, any word may match: the codes covering the most of the text's
   * words come first, billable codes before headers, then by fit and BM25. Words
   * match by their stem ("diabetic" finds "diabetes"); among codes covering as
   * many words, the one with the fewest words the text does not mention.
   */
  async rankByWords(text: string, opts: SearchOptions = {}): Promise<Array<CodeRecord & { covered: number; terms: number }>> {
    const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
    // the code sets' wording for clinical shorthand and synonyms ("HTN", "breast cancer")
    const phrase = withCodeSetWording(text);
    const stems = rankingStems(phrase);
    if (!stems.length) return [];
    const written = new Set([...phrase.matchAll(WORD)].map((m) => fold(m[0])));
    const systems = opts.systems?.length ? opts.systems : undefined;
    const sysClause = systems ? ` AND c.system IN (${systems.map(() => '?').join(',')})` : '';
    // candidates come from the selective stems: "right", "fracture" or "due" are in tens of thousands of
    // descriptions and would make BM25 score them all; they still count in the coverage below
    const counts = await this.stemCounts(stems);
    const total = Object.values(this.meta.counts).reduce((n, c) => n + (c?.codes ?? 0), 0);
    const common = Math.max(COMMON_STEM_SHARE * total, COMMON_STEM_MIN);
    const present = stems.filter((s) => (counts.get(s) ?? 0) > 0);
    if (!present.length) return [];
    const selective = present.filter((s) => counts.get(s)! <= common);
    const fetch = selective.length ? selective : present;
    // a number matches itself only: "type 2" is not "24 hours", "stage 3" not "30 days"
    const match = fetch.map((s) => (NUMBER.test(s) ? `"${s}"` : `"${s}"*`)).join(' OR ');
    // BM25 picks a generous cut inside FTS5; coverage re-ranks it here
    const rows = await all<Row & { rank: number }>(
      this.db,
      `SELECT c.system, c.code, c.billable, c.short, c.long, f.rank AS rank
       FROM (SELECT rowid, bm25(codes_fts, 1.0, 0.5) AS rank FROM codes_fts WHERE codes_fts MATCH ? ORDER BY rank LIMIT ?) f
       JOIN codes c ON c.id = f.rowid WHERE 1${sysClause} ORDER BY f.rank, c.id`,
      [match, systems ? Math.max(2000, limit * 20) : Math.max(400, limit * 8), ...(systems ?? [])],
    );
    const scored = rows.map((r, order) => {
      const words = [...new Set((r.long.toLowerCase().match(WORD) ?? []).map(fold))].filter((w) => !NOTE_STOP_WORDS.has(w));
      const covered = stems.filter((s) => words.some((w) => matchesStem(w, s))).length;
      // words of the description the text does not mention: fewer is a closer fit ("unspecified" is what the text leaves out anyway)
      const extra = words.filter((w) => w !== 'unspecified' && !stems.some((s) => matchesStem(w, s))).length;
      // words as written, not only their stems: "hypertension" is closer to "essential hypertension" than to "hypertensive encephalopathy"
      const exact = words.filter((w) => written.has(w)).length;
      return { r, order, covered, exact, extra };
    });
    scored.sort((a, b) => b.covered - a.covered || b.r.billable - a.r.billable || a.extra - b.extra || b.exact - a.exact || a.order - b.order);
    return scored.slice(0, limit).map(({ r, covered }) => ({ ...toRecord(r), covered, terms: stems.length }));
  }

  /** GEM mappings from each (system, code); empty unless GEM files were installed */
  async mappings(pairs: Array<{ system: IcdSystem; code: string }>): Promise<GemRow[]> {
    if (!this.meta.gems || !pairs.length) return [];
    const codes = [...new Set(pairs.map((p) => p.code))];
    const rows = await all<{ from_system: IcdSystem; from_code: string; to_system: IcdSystem; to_code: string; approximate: number; combination: number }>(
      this.db,
      `SELECT from_system, from_code, to_system, to_code, approximate, combination FROM gems WHERE from_code IN (${codes.map(() => '?').join(',')}) ORDER BY rowid`,
      codes,
    );
    const wanted = new Set(pairs.map((p) => `${p.system}:${p.code}`));
    return rows
      .filter((r) => wanted.has(`${r.from_system}:${r.from_code}`))
      .map((r) => ({ from: r.from_system, fromCode: r.from_code, to: r.to_system, toCode: r.to_code, approximate: r.approximate === 1, combination: r.combination === 1 }));
  }

  close(): Promise<void> {
    this.cache.clear();
    this.underCache.clear();
    return close(this.db);
  }

  private remember(code: string, list: CodeRecord[]): void {
    if (this.cache.size >= IcdStore.CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(code, list);
  }
}
