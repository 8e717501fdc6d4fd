/**
 * Embeddings of ICD codes, one sqlite file per encoder (its fingerprint and
 * pooling name the file), in the engine's storage folder, user-only. A row
 * holds a code's float32 vector and the hash of the text that was embedded
 * (the template filled with the code and its description), so a new release
 * or another template re-embeds only the codes whose text changed. Rows are
 * written a batch per transaction: a build killed halfway keeps every batch
 * it finished. Queries scan int8 copies in memory (the search index's
 * VectorIndex) and re-score candidates with the float32 vectors.
 *
 * The file also caches the 2D projection (the ICD map) of each system.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { Database } from '../index/database';
import { dot, VectorIndex } from '../index/vectorIndex';
import { ALL_SYSTEMS, type IcdSystem } from './systems';

const SCHEMA = '1';
/** int8 candidates re-scored with float32 */
const RESCORE_MIN = 100;

export interface CodeVectorMeta {
  /** the encoder's fingerprint and pooling: which vectors these are */
  key: string;
  modelName: string;
  modelPath: string;
  dims: number;
  demo: boolean;
}

export interface CodeVectorWrite {
  system: IcdSystem;
  code: string;
  hash: string;
  vector: Float32Array;
}

export interface CodeHit {
  system: IcdSystem;
  code: string;
  /** cosine similarity (float32, exact) */
  score: number;
}

export interface StoredProjection {
  system: IcdSystem;
  /** hash of the points and the projection's parameters: a different key is a stale map */
  key: string;
  builtAt: string;
  codes: string[];
  /** x, y per code */
  xy: Float32Array;
}

/** the folder of every model's code vectors */
export function codeVectorsDir(storageDir: string): string {
  return join(storageDir, 'icd', 'vectors');
}

export function codeVectorsFile(storageDir: string, key: string): string {
  return join(codeVectorsDir(storageDir), `${createHash('sha256').update(key).digest('hex').slice(0, 16)}.sqlite`);
}

/** what was embedded for a code: changes with the template, the code's description and the system */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

const vectorBlob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function blobVector(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export class CodeVectorStore {
  private index: VectorIndex | undefined;
  private indexVersion = -1;
  /** row id -> its code, for the loaded index */
  private rows = new Map<number, { system: IcdSystem; code: string }>();

  private constructor(
    private readonly db: Database,
    readonly file: string,
    readonly meta: CodeVectorMeta,
  ) {}

  /** Opens (creating when asked) the vectors of one encoder. */
  static async open(file: string, meta: CodeVectorMeta, opts: { create: boolean } = { create: true }): Promise<CodeVectorStore | undefined> {
    if (!existsSync(file)) {
      if (!opts.create) return undefined;
      mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
      // user-only from the first byte; sqlite gives -wal/-shm the same mode
      closeSync(openSync(file, 'a', 0o600));
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    let db: Database;
    try {
      db = await Database.open(file);
    } catch (e) {
      throw new EngineError('write-failed', `The ICD code embeddings ${file} cannot be opened (${(e as Error).message}).`);
    }
    try {
      await db.exec('PRAGMA busy_timeout=5000;');
      await db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;');
      await db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, system TEXT NOT NULL, code TEXT NOT NULL, hash TEXT NOT NULL, vector BLOB NOT NULL, UNIQUE (system, code));
        CREATE TABLE IF NOT EXISTS projections (system TEXT PRIMARY KEY, key TEXT NOT NULL, built_at TEXT NOT NULL, codes TEXT NOT NULL, xy BLOB NOT NULL);
      `);
      const have = new Map((await db.all<{ key: string; value: string }>('SELECT key, value FROM meta')).map((r) => [r.key, r.value]));
      if (have.size && have.get('schema') !== SCHEMA) throw new Error(`schema ${have.get('schema') ?? 'missing'}`);
      if (have.size && Number(have.get('dims')) !== meta.dims) throw new Error(`vectors of ${have.get('dims')} dimensions, the model gives ${meta.dims}`);
      const values: Record<string, string> = { schema: SCHEMA, key: meta.key, modelName: meta.modelName, modelPath: meta.modelPath, dims: String(meta.dims), demo: meta.demo ? '1' : '0' };
      for (const [k, v] of Object.entries(values)) await db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [k, v]);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw new EngineError('bad-input', `The ICD code embeddings ${file} are damaged or from another version (${(e as Error).message}). Delete the file to embed the codes again.`);
    }
    return new CodeVectorStore(db, file, meta);
  }

  /** Another model's stored vectors and maps, read without the model (to compare maps). */
  static async list(storageDir: string): Promise<Array<{ file: string; meta: CodeVectorMeta; projections: Array<{ system: IcdSystem; points: number; builtAt: string }> }>> {
    const dir = codeVectorsDir(storageDir);
    if (!existsSync(dir)) return [];
    const out = [];
    for (const name of readdirSync(dir).filter((n) => /^[0-9a-f]{16}\.sqlite$/.test(n)).sort()) {
      const file = join(dir, name);
      let db: Database | undefined;
      try {
        db = await Database.open(`file:${encodeURI(file)}?mode=ro`, { readOnly: true });
        const m = new Map((await db.all<{ key: string; value: string }>('SELECT key, value FROM meta')).map((r) => [r.key, r.value]));
        const projections = await db.all<{ system: IcdSystem; points: number; built_at: string }>('SELECT system, length(xy) / 8 AS points, built_at FROM projections ORDER BY system');
        out.push({
          file,
          meta: { key: m.get('key') ?? '', modelName: m.get('modelName') ?? name, modelPath: m.get('modelPath') ?? '', dims: Number(m.get('dims') ?? 0), demo: m.get('demo') === '1' },
          projections: projections.map((p) => ({ system: p.system, points: p.points, builtAt: p.built_at })),
        });
      } catch {
        // a file another process is creating, or a damaged one: not listed
      } finally {
        await db?.close().catch(() => undefined);
      }
    }
    return out;
  }

  /** code -> hash of the embedded text, for one system */
  async hashes(system: IcdSystem): Promise<Map<string, string>> {
    const rows = await this.db.all<{ code: string; hash: string }>('SELECT code, hash FROM vectors WHERE system = ?', [system]);
    return new Map(rows.map((r) => [r.code, r.hash]));
  }

  async counts(): Promise<Partial<Record<IcdSystem, number>>> {
    const rows = await this.db.all<{ system: IcdSystem; n: number }>('SELECT system, count(*) AS n FROM vectors GROUP BY system');
    return Object.fromEntries(rows.map((r) => [r.system, r.n]));
  }

  /** writes one batch in one transaction (a kill keeps the batches before it) */
  async put(rows: CodeVectorWrite[]): Promise<void> {
    if (!rows.length) return;
    for (const r of rows) if (r.vector.length !== this.meta.dims) throw new EngineError('internal', `a vector of ${r.vector.length} dimensions for an index of ${this.meta.dims}`);
    await this.db.transaction(async () => {
      for (let i = 0; i < rows.length; i += 100) {
        const part = rows.slice(i, i + 100);
        await this.db.run(
          `INSERT INTO vectors (system, code, hash, vector) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}
           ON CONFLICT (system, code) DO UPDATE SET hash = excluded.hash, vector = excluded.vector`,
          part.flatMap((r) => [r.system, r.code, r.hash, vectorBlob(r.vector)]),
        );
      }
    });
    this.index = undefined; // reloaded on the next query
  }

  /** removes codes of a system (no longer in the release) */
  async remove(system: IcdSystem, codes: string[]): Promise<number> {
    let n = 0;
    await this.db.transaction(async () => {
      for (let i = 0; i < codes.length; i += 500) {
        const part = codes.slice(i, i + 500);
        n += (await this.db.run(`DELETE FROM vectors WHERE system = ? AND code IN (${part.map(() => '?').join(',')})`, [system, ...part])).changes;
      }
    });
    if (n) this.index = undefined;
    return n;
  }

  /** the float32 vectors of some codes of a system */
  async vectors(system: IcdSystem, codes: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (let i = 0; i < codes.length; i += 500) {
      const part = codes.slice(i, i + 500);
      const rows = await this.db.all<{ code: string; vector: Buffer }>(`SELECT code, vector FROM vectors WHERE system = ? AND code IN (${part.map(() => '?').join(',')})`, [system, ...part]);
      for (const r of rows) out.set(r.code, blobVector(r.vector));
    }
    return out;
  }

  /**
   * The k codes nearest to q among the given systems: int8 candidates from
   * memory, re-scored with float32 vectors, best first.
   */
  async nearest(q: Float32Array, k: number, systems?: readonly IcdSystem[]): Promise<CodeHit[]> {
    const index = await this.loadIndex();
    if (!index.size || q.length !== index.dims || k <= 0) return [];
    const allowed = new Set((systems?.length ? systems : ALL_SYSTEMS).map((s) => ALL_SYSTEMS.indexOf(s)));
    const candidates = index.search(q, Math.max(RESCORE_MIN, 2 * k), { allowDoc: (d) => allowed.has(d) });
    if (!candidates.length) return [];
    const ids = candidates.map((c) => c.chunkId);
    const rows = await this.db.all<{ id: number; vector: Buffer }>(`SELECT id, vector FROM vectors WHERE id IN (${ids.map(() => '?').join(',')})`, ids);
    const hits: Array<CodeHit & { id: number }> = [];
    for (const r of rows) {
      const at = this.rows.get(r.id);
      if (at) hits.push({ ...at, id: r.id, score: dot(blobVector(r.vector), q) });
    }
    hits.sort((a, b) => b.score - a.score || a.id - b.id);
    return hits.slice(0, k).map(({ system, code, score }) => ({ system, code, score }));
  }

  async projection(system: IcdSystem): Promise<StoredProjection | undefined> {
    const r = await this.db.get<{ key: string; built_at: string; codes: string; xy: Buffer }>('SELECT key, built_at, codes, xy FROM projections WHERE system = ?', [system]);
    return r ? { system, key: r.key, builtAt: r.built_at, codes: JSON.parse(r.codes) as string[], xy: blobVector(r.xy) } : undefined;
  }

  async putProjection(p: StoredProjection): Promise<void> {
    await this.db.run('INSERT OR REPLACE INTO projections (system, key, built_at, codes, xy) VALUES (?, ?, ?, ?, ?)', [p.system, p.key, p.builtAt, JSON.stringify(p.codes), vectorBlob(p.xy)]);
  }

  close(): Promise<void> {
    this.index = undefined;
    return this.db.close();
  }

  /** the int8 index of every row, reloaded when this or another connection changed the rows */
  private async loadIndex(): Promise<VectorIndex> {
    return this.db.locked(async () => {
      const dv = (await this.db.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
      if (this.index && dv === this.indexVersion) return this.index;
      const index = new VectorIndex(this.meta.dims);
      const rows = new Map<number, { system: IcdSystem; code: string }>();
      for (let after = -1; ; ) {
        const page = await this.db.all<{ id: number; system: IcdSystem; code: string; vector: Buffer }>('SELECT id, system, code, vector FROM vectors WHERE id > ? ORDER BY id LIMIT 4096', [after]);
        for (const r of page) {
          if (r.vector.byteLength !== this.meta.dims * 4) continue;
          index.add(r.id, ALL_SYSTEMS.indexOf(r.system), blobVector(r.vector));
          rows.set(r.id, { system: r.system, code: r.code });
        }
        if (page.length < 4096) break;
        after = page[page.length - 1]!.id;
      }
      this.index = index;
      this.rows = rows;
      this.indexVersion = dv;
      return index;
    });
  }
}
