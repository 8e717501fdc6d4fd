/**
 * The search index of one notes folder: a sqlite database (documents, chunks,
 * an FTS5 table over chunk text, float32 vectors) that lives in the extension's
 * storage, never in the notes folder. Each document is written in one
 * transaction, so a killed process leaves either the old or the new version.
 */
import { accessSync, chmodSync, closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EngineError } from '../errors';
import { Database, isCorruptionError, type Param } from './database';
import type { Chunk } from './embedder';
import { dot, VectorIndex, type VectorHit } from './vectorIndex';

/** int8 candidates re-scored with float32: max(RESCORE_MIN, RESCORE_FACTOR * k) */
const RESCORE_MIN = 100;
const RESCORE_FACTOR = 2;

export const SCHEMA_VERSION = 2;

/** each entry moves the schema from version i to i+1 */
const migrations: string[] = [
  `
  CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,          -- relative to the notes folder, '/' separated
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    hash TEXT NOT NULL,                 -- sha256 of the file bytes
    fingerprint TEXT NOT NULL,          -- chunker/model that produced the chunks
    status TEXT NOT NULL,               -- 'indexed' | 'binary' | 'too-large' | 'empty'
    latin1 INTEGER NOT NULL DEFAULT 0,  -- decoded as Latin-1 (not valid UTF-8)
    tokens INTEGER NOT NULL DEFAULT 0,
    indexed_at INTEGER NOT NULL
  );
  CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    text TEXT NOT NULL
  );
  CREATE INDEX chunks_by_doc ON chunks(doc_id);
  CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
  CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
  END;
  CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
  END;
  CREATE TABLE vectors (
    chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    embedding BLOB NOT NULL             -- float32, L2-normalised, meta.dims long
  );
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 1 -> 2: per-term passage counts, so words in most passages can be left out of a query
  `
  CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
  `,
];

export interface DocumentRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  hash: string;
  fingerprint: string;
  status: DocumentStatus;
  latin1: number;
  tokens: number;
}

export type DocumentStatus = 'indexed' | 'binary' | 'too-large' | 'empty';

export interface DocumentWrite {
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  fingerprint: string;
  status: DocumentStatus;
  latin1: boolean;
  /** the decoded note text the chunks point into */
  text: string;
  chunks: Chunk[];
  /** one per chunk, or none for a lexical-only index */
  vectors?: Float32Array[];
}

export interface OpenResult {
  store: IndexStore;
  /** set when a damaged database was moved aside and a new one started */
  notice?: string;
}

export class IndexStore {
  private vectors: VectorIndex | undefined;
  private vectorsDataVersion = -1;
  /** dimensions confirmed against meta, so each write need not read it */
  private dims = 0;

  private constructor(
    readonly db: Database,
    readonly file: string,
  ) {}

  /**
   * Opens (or creates, user-only) the index database. A damaged file is moved
   * aside as `<file>.corrupt-<time>` (older damaged copies are deleted: they
   * hold note text) and a fresh index is started. With `forSearch`, an index in
   * a folder that cannot be written is opened read-only instead of refused.
   */
  static async open(file: string, notesFolder?: string, opts: { forSearch?: boolean } = {}): Promise<OpenResult> {
    const abs = resolve(file);
    if (notesFolder) {
      const notes = resolve(notesFolder);
      // real paths too: a link to (or from) the notes folder would otherwise put the index among the notes
      if (isInside(abs, notes) || isInside(realPathOfNew(abs), realPathOfNew(notes))) {
        throw new EngineError('bad-input', 'The search index must not be stored inside the notes folder; use the extension storage folder.');
      }
    }
    const dir = dirname(abs);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new EngineError('bad-input', `The search index folder ${dir} cannot be created (${errnoWords(e)}); make its parent writable or keep the index elsewhere.`);
    }
    const exists = existsSync(abs);
    if (!writable(dir) || (exists && !writable(abs))) {
      if (!exists) throw new EngineError('bad-input', `The search index cannot be created in ${dir}: the folder is read-only; make it writable or keep the index elsewhere.`);
      if (!opts.forSearch) throw new EngineError('bad-input', `The search index ${abs} is read-only (its file or folder cannot be written); make it writable to update it.`);
      return { store: await IndexStore.openReadOnly(abs) };
    }
    try {
      return { store: await IndexStore.openChecked(abs) };
    } catch (e) {
      if (!isCorruptionError(e)) throw describeStoreError(e, abs);
      const aside = `${abs}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(abs + suffix)) renameSync(abs + suffix, aside + suffix);
      pruneDamagedCopies(abs, aside);
      const store = await IndexStore.openChecked(abs).catch((e2) => Promise.reject(describeStoreError(e2, abs)));
      return { store, notice: `The search index was damaged; it was moved to ${aside} and will be rebuilt. That copy holds note text: delete it when you no longer need it.` };
    }
  }

  /** an index whose folder cannot be written, for searching: nothing is migrated, repaired or written */
  private static async openReadOnly(file: string): Promise<IndexStore> {
    // a WAL database needs its -shm file to be read; in a read-only folder without one, `immutable` reads the main file alone
    const walLeft = existsSync(file + '-wal') && existsSync(file + '-shm');
    const path = file.split(sep).map(encodeURIComponent).join('/');
    const uri = `file:${path.startsWith('/') ? path : '/' + path}?${walLeft ? 'mode=ro' : 'immutable=1'}`;
    let db: Database;
    try {
      db = await Database.open(uri, { readOnly: true });
    } catch (e) {
      throw describeStoreError(e, file);
    }
    try {
      const version = await schemaVersion(db);
      if (version !== SCHEMA_VERSION) {
        throw new EngineError('bad-input', `The search index ${file} needs an update this version cannot make while its folder is read-only; make the folder writable or rebuild the index elsewhere.`);
      }
      return new IndexStore(db, file);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw describeStoreError(e, file);
    }
  }

  private static async openChecked(file: string): Promise<IndexStore> {
    // create the file ourselves so it is user-only from the first byte; sqlite gives -wal/-shm the same mode
    if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const db = await Database.open(file);
    try {
      // the busy timeout first: a second process starting at the same moment waits for the first one's lock
      await db.exec('PRAGMA busy_timeout=5000;');
      await enterWal(db);
      await db.exec('PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;');
      const check = await db.get<{ quick_check: string }>('PRAGMA quick_check');
      if (check?.quick_check !== 'ok') throw Object.assign(new Error('quick_check failed'), { code: 'SQLITE_CORRUPT' });
      await migrate(db);
      return new IndexStore(db, file);
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.db.locked(() => this.db.close());
  }

  async meta(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.db.locked(() => this.db.run('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value]));
  }

  async documents(): Promise<DocumentRow[]> {
    return this.db.all<DocumentRow>('SELECT id, path, size, mtime_ms, hash, fingerprint, status, latin1, tokens FROM documents');
  }

  async document(path: string): Promise<DocumentRow | undefined> {
    return this.db.get<DocumentRow>('SELECT id, path, size, mtime_ms, hash, fingerprint, status, latin1, tokens FROM documents WHERE path = ?', [path]);
  }

  /** passages containing each term (terms as the FTS5 tokenizer folds them), and about how many passages there are */
  async termCounts(terms: string[]): Promise<{ counts: Map<string, number>; passages: number }> {
    const counts = new Map<string, number>();
    // the largest id stands in for count(*), which would scan the table
    const rows = await this.db.all<{ term: string | null; doc: number | null; passages: number | null }>(
      `SELECT NULL AS term, NULL AS doc, (SELECT max(id) FROM chunks) AS passages
       UNION ALL SELECT term, doc, NULL FROM chunks_vocab WHERE term IN (${terms.map(() => '?').join(',') || "''"})`,
      terms,
    );
    let passages = 0;
    for (const r of rows) {
      if (r.term === null) passages = r.passages ?? 0;
      else counts.set(r.term, r.doc ?? 0);
    }
    return { counts, passages };
  }

  async metaValues(keys: string[]): Promise<Map<string, string>> {
    const rows = await this.db.all<{ key: string; value: string }>(`SELECT key, value FROM meta WHERE key IN (${keys.map(() => '?').join(',')})`, keys);
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  /** paths of the notes inside a folder (relative, no trailing '/') */
  async pathsUnder(folder: string): Promise<string[]> {
    // '0' is the character after '/', so this range is exactly the paths starting with folder + '/'
    const rows = await this.db.all<{ path: string }>('SELECT path FROM documents WHERE path >= ? AND path < ?', [folder + '/', folder + '0']);
    return rows.map((r) => r.path);
  }

  /** records a new size/mtime for a file whose bytes did not change */
  async touch(id: number, size: number, mtimeMs: number): Promise<void> {
    await this.db.locked(() => this.db.run('UPDATE documents SET size = ?, mtime_ms = ? WHERE id = ?', [size, mtimeMs, id]));
  }

  /** replaces the document's chunks and vectors in one transaction */
  async writeDocument(w: DocumentWrite): Promise<void> {
    if (w.vectors && w.vectors.length !== w.chunks.length) throw new EngineError('internal', 'Internal engine error: one vector per passage expected.');
    const dims = w.vectors?.[0]?.length;
    if (w.vectors?.some((v) => v.length !== dims || dims === 0)) throw new EngineError('internal', 'Internal engine error: passage vectors of differing lengths.');
    if (dims !== undefined) await this.ensureDims(dims);
    const added: Array<{ chunkId: number; v: Float32Array }> = [];
    let removed: number[] = [];
    let docId = 0;
    await this.db.transaction(async () => {
      const old = await this.db.get<{ id: number }>('SELECT id FROM documents WHERE path = ?', [w.path]);
      const tokens = w.chunks.reduce((a, c) => a + c.tokens, 0);
      if (old) {
        removed = (await this.db.all<{ id: number }>('SELECT id FROM chunks WHERE doc_id = ?', [old.id])).map((r) => r.id);
        await this.db.run('DELETE FROM chunks WHERE doc_id = ?', [old.id]);
        await this.db.run(
          'UPDATE documents SET size = ?, mtime_ms = ?, hash = ?, fingerprint = ?, status = ?, latin1 = ?, tokens = ?, indexed_at = ? WHERE id = ?',
          [w.size, w.mtimeMs, w.hash, w.fingerprint, w.status, w.latin1 ? 1 : 0, tokens, Date.now(), old.id],
        );
        docId = old.id;
      } else {
        docId = (
          await this.db.run(
            'INSERT INTO documents(path, size, mtime_ms, hash, fingerprint, status, latin1, tokens, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [w.path, w.size, w.mtimeMs, w.hash, w.fingerprint, w.status, w.latin1 ? 1 : 0, tokens, Date.now()],
          )
        ).lastID;
      }
      if (w.chunks.length === 0) return;
      const insChunk = this.db.prepare('INSERT INTO chunks(doc_id, char_start, char_end, tokens, text) VALUES (?, ?, ?, ?, ?)');
      const insVec = w.vectors ? this.db.prepare('INSERT INTO vectors(chunk_id, embedding) VALUES (?, ?)') : undefined;
      try {
        for (let i = 0; i < w.chunks.length; i++) {
          const c = w.chunks[i];
          const { lastID } = await insChunk.run([docId, c.start, c.end, c.tokens, w.text.slice(c.start, c.end)]);
          const v = w.vectors?.[i];
          if (insVec && v) {
            await insVec.run([lastID, vectorBlob(v)]);
            added.push({ chunkId: lastID, v });
          }
        }
      } finally {
        await insChunk.finalize();
        await insVec?.finalize();
      }
    });
    this.applyToVectors(removed, docId, added);
  }

  async deleteDocuments(paths: string[]): Promise<number> {
    let n = 0;
    const removed: number[] = [];
    await this.db.transaction(async () => {
      for (const p of paths) {
        const doc = await this.db.get<{ id: number }>('SELECT id FROM documents WHERE path = ?', [p]);
        if (!doc) continue;
        for (const r of await this.db.all<{ id: number }>('SELECT id FROM chunks WHERE doc_id = ?', [doc.id])) removed.push(r.id);
        n += (await this.db.run('DELETE FROM documents WHERE id = ?', [doc.id])).changes;
      }
    });
    this.applyToVectors(removed, 0, []);
    return n;
  }

  /** drops everything (model change to other dimensions, or rebuild) */
  async clear(): Promise<void> {
    await this.db.transaction(async () => {
      await this.db.run('DELETE FROM documents');
      await this.db.run("DELETE FROM meta WHERE key <> 'created'");
      await this.db.run("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')");
    });
    this.vectors = undefined;
    this.vectorsDataVersion = -1;
    this.dims = 0;
  }

  /** the in-memory vector index, (re)loaded when another connection changed the database */
  async vectorIndex(): Promise<VectorIndex | undefined> {
    return this.db.locked(async () => {
      const dv = (await this.db.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
      if (this.vectors && dv === this.vectorsDataVersion) return this.vectors;
      const dimsText = (await this.db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'dims'"))?.value;
      const dims = dimsText ? Number(dimsText) : 0;
      if (!dims) return undefined;
      const index = new VectorIndex(dims);
      // pages of rows: node-sqlite3's each() crosses threads once per row, all() once per page
      for (let after = -1; ; ) {
        const rows = await this.db.all<{ chunk_id: number; doc_id: number; embedding: Buffer }>(
          'SELECT v.chunk_id, c.doc_id, v.embedding FROM vectors v JOIN chunks c ON c.id = v.chunk_id WHERE v.chunk_id > ? ORDER BY v.chunk_id LIMIT 4096',
          [after],
        );
        for (const r of rows) if (r.embedding.byteLength === dims * 4) index.add(r.chunk_id, r.doc_id, blobVector(r.embedding));
        if (rows.length < 4096) break;
        after = rows[rows.length - 1].chunk_id;
      }
      this.vectors = index;
      this.vectorsDataVersion = dv;
      return index;
    });
  }

  /**
   * The k passages nearest to q: int8 candidates from memory, re-scored with
   * the float32 vectors from the database, best first; at most `perDoc` of one
   * note when given.
   */
  async nearest(q: Float32Array, k: number, allowDoc?: (docId: number) => boolean, perDoc?: number): Promise<VectorHit[]> {
    const index = await this.vectorIndex();
    if (!index || q.length !== index.dims) return [];
    // twice the cap among the candidates: re-scoring may reorder a note's passages
    const candidates = index.search(q, Math.max(RESCORE_MIN, RESCORE_FACTOR * k), { allowDoc, perDoc: perDoc ? perDoc * RESCORE_FACTOR : undefined });
    if (!candidates.length) return [];
    const rows = await this.db.all<{ chunk_id: number; embedding: Buffer }>(
      `SELECT chunk_id, embedding FROM vectors WHERE chunk_id IN (${candidates.map(() => '?').join(',')})`,
      candidates.map((c) => c.chunkId),
    );
    const exact = new Map(rows.map((r) => [r.chunk_id, dot(blobVector(r.embedding), q)]));
    const rescored = candidates
      .filter((c) => exact.has(c.chunkId)) // deleted since the candidates were picked
      .map((c) => ({ ...c, score: exact.get(c.chunkId)! }))
      .sort((a, b) => b.score - a.score || a.chunkId - b.chunkId);
    return (perDoc ? capPerNote(rescored, perDoc, (h) => h.docId) : rescored).slice(0, k);
  }

  async counts(): Promise<{ documents: number; indexed: number; chunks: number; vectors: number; tokens: number; binary: number; tooLarge: number; empty: number; latin1: number }> {
    const d = await this.db.get<Record<string, number>>(
      `SELECT count(*) AS documents,
        coalesce(sum(status = 'indexed'), 0) AS indexed, coalesce(sum(status = 'binary'), 0) AS binary,
        coalesce(sum(status = 'too-large'), 0) AS tooLarge, coalesce(sum(status = 'empty'), 0) AS empty,
        coalesce(sum(latin1), 0) AS latin1, coalesce(sum(tokens), 0) AS tokens FROM documents`,
    );
    const c = await this.db.get<{ n: number }>('SELECT count(*) AS n FROM chunks');
    const v = await this.db.get<{ n: number }>('SELECT count(*) AS n FROM vectors');
    return {
      documents: d?.documents ?? 0,
      indexed: d?.indexed ?? 0,
      chunks: c?.n ?? 0,
      vectors: v?.n ?? 0,
      tokens: d?.tokens ?? 0,
      binary: d?.binary ?? 0,
      tooLarge: d?.tooLarge ?? 0,
      empty: d?.empty ?? 0,
      latin1: d?.latin1 ?? 0,
    };
  }

  async integrityCheck(): Promise<string> {
    const rows = await this.db.all<{ integrity_check: string }>('PRAGMA integrity_check');
    return rows.map((r) => r.integrity_check).join('; ');
  }

  private async ensureDims(dims: number): Promise<void> {
    if (this.dims === dims) return;
    const have = await this.meta('dims');
    if (have === undefined) await this.setMeta('dims', String(dims));
    else if (Number(have) !== dims) throw new EngineError('bad-input', `The index holds vectors of ${have} dimensions but the model gives ${dims}; rebuild the index.`);
    this.dims = dims;
  }

  private applyToVectors(removed: number[], docId: number, added: Array<{ chunkId: number; v: Float32Array }>): void {
    const index = this.vectors;
    if (!index) return;
    index.remove(removed);
    for (const a of added) index.add(a.chunkId, docId, a.v);
    // PRAGMA data_version ignores this connection's own commits, so the cached index stays valid
  }
}

/**
 * Switches a new database to WAL. Two connections switching at once both hold a
 * read lock and want the write lock, so sqlite answers one of them BUSY at once
 * instead of waiting (it would deadlock): that one tries again shortly.
 */
async function enterWal(db: Database): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await db.exec('PRAGMA journal_mode=WAL;');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 50) throw e;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
}

/** the applied schema version; 0 for a new file */
async function schemaVersion(db: Database): Promise<number> {
  const table = await db.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!table) return 0;
  return (await db.get<{ v: number | null }>('SELECT max(version) AS v FROM schema_version'))?.v ?? 0;
}

async function migrate(db: Database): Promise<void> {
  const seen = await schemaVersion(db);
  if (seen > SCHEMA_VERSION) throw newerSchema(seen);
  if (seen === SCHEMA_VERSION) return;
  // the version is read again inside the write lock: two first starts would otherwise both create the tables
  await db.exec('BEGIN IMMEDIATE');
  try {
    await db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at INTEGER NOT NULL)');
    const current = await schemaVersion(db);
    if (current > SCHEMA_VERSION) throw newerSchema(current);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      await db.exec(migrations[v]);
      await db.run('INSERT INTO schema_version(version, applied_at) VALUES (?, ?)', [v + 1, Date.now()] as Param[]);
    }
    await db.exec('COMMIT');
  } catch (e) {
    await db.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

function newerSchema(version: number): EngineError {
  return new EngineError('bad-input', `The search index was written by a newer version of the extension (schema ${version}); rebuild the index or update the extension.`);
}

/** the items in order, at most `cap` of one note */
export function capPerNote<T>(items: T[], cap: number, noteOf: (item: T) => number): T[] {
  const seen = new Map<number, number>();
  return items.filter((item) => {
    const n = seen.get(noteOf(item)) ?? 0;
    seen.set(noteOf(item), n + 1);
    return n < cap;
  });
}

function vectorBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function blobVector(b: Buffer): Float32Array {
  // copy: a Buffer's offset into its pool need not be 4-byte aligned
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** the real path of a file that may not exist yet: its nearest existing folder resolved, the rest appended */
function realPathOfNew(p: string): string {
  const rest: string[] = [];
  for (let at = p; ; at = dirname(at)) {
    try {
      return join(realpathSync.native(at), ...rest.reverse());
    } catch {
      if (dirname(at) === at) return p;
      rest.push(basename(at));
    }
  }
}

function writable(p: string): boolean {
  try {
    accessSync(p, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** keeps the newest damaged copy of the index only: each is a copy of note text */
function pruneDamagedCopies(file: string, keep: string): void {
  const prefix = `${basename(file)}.corrupt-`;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dirname(file), name);
    if (name.startsWith(prefix) && !p.startsWith(keep)) rmSync(p, { force: true });
  }
}

function errnoWords(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the disk is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way';
  return code ?? 'error';
}

/** sqlite's errors name no file; say which one and what to do, in one line */
export function describeStoreError(e: unknown, file: string): unknown {
  if (e instanceof EngineError) return e;
  const code = (e as { code?: string } | null)?.code;
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new EngineError('bad-input', `The search index ${file} cannot be opened for writing; check that it and its folder are yours and writable.`);
  }
  if (code === 'SQLITE_FULL') {
    return new EngineError('bad-input', `The disk holding the search index ${file} is full: indexing stopped, and the notes indexed so far are kept. Free some space and update the index again.`);
  }
  if (code === 'SQLITE_IOERR') return new EngineError('bad-input', `The disk holding the search index ${file} failed to read or write; check the disk, then update the index again.`);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return new EngineError('bad-input', `The search index ${file} is locked by another program; try again when it has finished.`);
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return new EngineError('bad-input', `The search index ${file} is damaged; update the index to move it aside and start a new one, or delete it.`);
  return e;
}

function isInside(file: string, folder: string): boolean {
  const r = relative(folder, file);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}
