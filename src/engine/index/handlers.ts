/**
 * The search index's engine methods. The worker keeps one open database per
 * notes folder; updates of one folder run one at a time.
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import type { Handlers, RequestContext } from '../handlers';
import type { EngineHost } from '../host';
import type { ChunkEmbedder } from './embedder';
import { DEFAULT_MAX_FILE_BYTES, indexFolder, type IndexCounts } from './indexer';
import { findSimilar, searchIndex } from './search';
import { IndexStore, SCHEMA_VERSION } from './store';
import { lexicalOnlyEmbedder } from './wordChunker';
import type { IndexTarget, IndexUpdateParams, IndexUpdateResult, SearchMethods } from './protocol';

const NO_MODEL_REASON = 'No model is loaded, so notes are matched by words only.';
const DEMO_MODEL_REASON = 'The loaded model is a demo or random-weight model, so notes are matched by words only.';

/** where a folder's index lives when the caller does not say */
export function defaultDbPath(storageDir: string, folder: string): string {
  const id = createHash('sha256').update(resolve(folder)).digest('hex').slice(0, 16);
  return join(storageDir, 'search', `${id}.sqlite`);
}

export function createSearchHandlers(host: EngineHost, makeEmbedder: () => ChunkEmbedder): Handlers<SearchMethods> & { closeAll(): Promise<void> } {
  const stores = new Map<string, Promise<{ store: IndexStore; notice?: string }>>();
  const runs = new Map<string, Promise<unknown>>();

  function dbPathOf(t: IndexTarget): string {
    if (typeof t?.folder !== 'string' || !t.folder) throw new EngineError('bad-input', 'No notes folder was given.');
    return resolve(t.dbPath || defaultDbPath(host.storageDir(), t.folder));
  }

  async function open(t: IndexTarget): Promise<{ store: IndexStore; dbPath: string; notice?: string }> {
    const dbPath = dbPathOf(t);
    let p = stores.get(dbPath);
    if (!p) {
      p = IndexStore.open(dbPath, t.folder);
      stores.set(dbPath, p);
      p.catch(() => stores.delete(dbPath));
    }
    const { store, notice } = await p;
    if (notice) {
      host.log('warn', notice);
      // tell the first caller only
      stores.set(dbPath, Promise.resolve({ store }));
    }
    return { store, dbPath, notice };
  }

  function embedderOrLexical(): { embedder: ChunkEmbedder; reason?: string } {
    try {
      const e = makeEmbedder();
      return { embedder: e, reason: e.demo ? DEMO_MODEL_REASON : undefined };
    } catch (e) {
      if (e instanceof EngineError && e.code === 'not-loaded') return { embedder: lexicalOnlyEmbedder(), reason: NO_MODEL_REASON };
      throw e;
    }
  }

  /** updates of one database wait for each other */
  function serial<T>(dbPath: string, fn: () => Promise<T>): Promise<T> {
    const prev = runs.get(dbPath) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    runs.set(dbPath, next.catch(() => undefined));
    return next;
  }

  async function update(p: IndexUpdateParams, ctx: RequestContext): Promise<IndexUpdateResult> {
    const { store, dbPath, notice } = await open(p);
    const { embedder } = embedderOrLexical();
    const maxMB = Number.isFinite(p.maxFileSizeMB) && (p.maxFileSizeMB as number) > 0 ? (p.maxFileSizeMB as number) : DEFAULT_MAX_FILE_BYTES / 1048576;
    const result = await indexFolder(store, embedder, {
      folder: p.folder,
      include: stringList(p.include, 'include'),
      exclude: stringList(p.exclude, 'exclude'),
      maxFileBytes: Math.round(maxMB * 1048576),
      paths: stringList(p.paths, 'paths'),
      signal: ctx.signal,
      log: ctx.log,
      onProgress: (c) => ctx.progress({ message: progressMessage(c) }),
    });
    return { ...result, dbPath, notice };
  }

  return {
    'index.update': (p, ctx) => serial(dbPathOf(p), () => update(p, ctx)),

    'index.rebuild': (p, ctx) =>
      serial(dbPathOf(p), async () => {
        const dbPath = dbPathOf(p);
        const existing = stores.get(dbPath);
        stores.delete(dbPath);
        if (existing) await (await existing.catch(() => undefined))?.store.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
        return update({ ...p, paths: undefined }, ctx);
      }),

    'index.search': async (p, ctx) => {
      if (typeof p?.query !== 'string') throw new EngineError('bad-input', 'The search query must be text.');
      const { store } = await open(p);
      const { embedder, reason } = embedderOrLexical();
      return searchIndex(store, embedder, { query: p.query, k: p.k, pathGlob: p.pathGlob, signal: ctx.signal, noVectorsReason: reason });
    },

    'index.similar': async (p, ctx) => {
      if (typeof p?.text !== 'string') throw new EngineError('bad-input', 'Find similar needs the text of a note or a selection.');
      const { store } = await open(p);
      const { embedder, reason } = embedderOrLexical();
      const excludePath = p.excludePath ? relativeNotePath(p.folder, p.excludePath) : undefined;
      return findSimilar(store, embedder, { text: p.text, k: p.k, excludePath, pathGlob: p.pathGlob, signal: ctx.signal, noVectorsReason: reason });
    },

    'index.stats': async (p) => {
      const { store, dbPath } = await open(p);
      const c = await store.counts();
      const fingerprint = (await store.meta('fingerprint')) ?? null;
      return {
        dbPath,
        bytes: fileSize(dbPath) + fileSize(dbPath + '-wal'),
        documents: c.documents,
        indexed: c.indexed,
        chunks: c.chunks,
        vectors: c.vectors,
        tokens: c.tokens,
        skippedBinary: c.binary,
        skippedLarge: c.tooLarge,
        empty: c.empty,
        latin1: c.latin1,
        fingerprint,
        dims: Number((await store.meta('dims')) ?? 0),
        lexicalOnly: c.vectors === 0,
        lastFullRun: (await store.meta('last_full_run')) ?? null,
        schemaVersion: SCHEMA_VERSION,
      };
    },

    async closeAll() {
      const all = [...stores.values()];
      stores.clear();
      for (const p of all) await (await p.catch(() => undefined))?.store.close();
    },
  };
}

export function progressMessage(c: IndexCounts): string {
  const skipped = c.skippedBinary + c.skippedLarge + c.unreadable + c.badNames;
  return `${c.scanned} notes scanned, ${c.indexed} indexed, ${c.unchanged} unchanged${skipped ? `, ${skipped} skipped` : ''}`;
}

function stringList(v: unknown, name: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new EngineError('bad-input', `The search setting "${name}" must be a list of text patterns.`);
  return v as string[];
}

function relativeNotePath(folder: string, p: string): string {
  const abs = resolve(folder, p);
  return abs.slice(resolve(folder).length + 1).split(/[\\/]/).join('/');
}

function fileSize(f: string): number {
  return existsSync(f) ? statSync(f).size : 0;
}
