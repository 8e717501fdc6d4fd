/**
 * Brings a folder's index up to date: walks the folder (include/exclude globs,
 * symlink loops cut), skips what did not change (size and mtime, then content
 * hash), and writes each changed note in one transaction. Safe to interrupt at
 * any point: a rerun picks up where it stopped.
 */
import { createHash } from 'node:crypto';
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { EngineError } from '../errors';
import { hasVectors, type ChunkEmbedder } from './embedder';
import { checkGlob, defaultExcludes, defaultIncludes, excludesDirectory, matchesAny } from './glob';
import { decodeNote, looksBinary } from './noteText';
import type { DocumentRow, IndexStore } from './store';

export const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;

export interface IndexOptions {
  folder: string;
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  /** only these files (from a file watcher), absolute or relative to the folder; absent: the whole folder */
  paths?: string[];
  signal?: AbortSignal;
  onProgress?(p: IndexCounts): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
  /** passages per embed call */
  embedBatch?: number;
}

export interface IndexCounts {
  /** files that matched the globs */
  scanned: number;
  /** notes (re)written this run */
  indexed: number;
  unchanged: number;
  removed: number;
  skippedBinary: number;
  skippedLarge: number;
  unreadable: number;
  /** decoded as Latin-1 because the bytes were not valid UTF-8 */
  latin1: number;
  /** changed or deleted while being read: left for the next run */
  changedDuringRun: number;
  failed: number;
  chunks: number;
  tokens: number;
}

export interface IndexRunResult extends IndexCounts {
  ms: number;
  cancelled: boolean;
  lexicalOnly: boolean;
}

interface FileEntry {
  rel: string;
  abs: string;
  stat: Stats;
}

export async function indexFolder(store: IndexStore, embedder: ChunkEmbedder, opts: IndexOptions): Promise<IndexRunResult> {
  const t0 = performance.now();
  const folder = resolve(opts.folder);
  const include = opts.include?.length ? opts.include : defaultIncludes;
  const exclude = opts.exclude ?? defaultExcludes;
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const log = opts.log ?? (() => undefined);
  for (const g of [...include, ...exclude]) checkGlob(g, 'include or exclude pattern');
  const counts: IndexCounts = {
    scanned: 0, indexed: 0, unchanged: 0, removed: 0, skippedBinary: 0, skippedLarge: 0,
    unreadable: 0, latin1: 0, changedDuringRun: 0, failed: 0, chunks: 0, tokens: 0,
  };
  const folderStat = await fs.stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) throw new EngineError('bad-input', `The notes folder ${folder} does not exist or is not a folder.`);

  // a different chunker or model: the old passages and vectors mean nothing now
  const vectors = hasVectors(embedder);
  if ((await store.meta('fingerprint')) !== embedder.fingerprint) {
    await store.clear();
    await store.setMeta('fingerprint', embedder.fingerprint);
    await store.setMeta('vectors', vectors ? '1' : '0');
  }

  // a full run compares against every row; a watcher run looks up only its paths
  const known = new Map<string, DocumentRow>();
  if (!opts.paths) for (const d of await store.documents()) known.set(d.path, d);
  const lookup = async (rel: string) => (opts.paths ? await store.document(rel) : known.get(rel));
  const seen = new Set<string>();
  let lastProgress = 0;
  const progress = (force = false) => {
    const now = performance.now();
    if (opts.onProgress && (force || now - lastProgress > 100)) {
      lastProgress = now;
      opts.onProgress({ ...counts });
    }
  };
  const wanted = (rel: string) => matchesAny(include, rel) && !matchesAny(exclude, rel);

  const files = opts.paths ? listPaths(folder, opts.paths, exclude, counts, log) : walk(folder, folder, exclude, counts, log);
  let cancelled = false;
  const gone: string[] = [];
  for await (const f of files) {
    if (opts.signal?.aborted) {
      cancelled = true;
      break;
    }
    if (!f.stat || !wanted(f.rel)) {
      // deleted, or no longer matched: forget it (a deleted folder takes its notes with it)
      if (await lookup(f.rel)) gone.push(f.rel);
      if (!f.stat && opts.paths) gone.push(...(await store.pathsUnder(f.rel)));
      continue;
    }
    seen.add(f.rel);
    counts.scanned++;
    try {
      await indexFile({ ...f, stat: f.stat }, await lookup(f.rel));
    } catch (e) {
      if (e instanceof EngineError && e.code === 'cancelled') {
        cancelled = true;
        break;
      }
      if (opts.signal?.aborted) {
        cancelled = true;
        break;
      }
      counts.failed++;
      log('error', `Search index: ${f.rel} was not indexed: ${e instanceof Error ? e.message : String(e)}`);
    }
    progress();
  }
  if (!cancelled && !opts.paths) for (const p of known.keys()) if (!seen.has(p)) gone.push(p);
  if (!cancelled && gone.length) counts.removed += await store.deleteDocuments(gone);
  if (!cancelled && !opts.paths) await store.setMeta('last_full_run', new Date().toISOString());
  progress(true);
  return { ...counts, ms: Math.round(performance.now() - t0), cancelled, lexicalOnly: !vectors };

  async function indexFile(f: FileEntry, row: DocumentRow | undefined): Promise<void> {
    const unchanged = row && row.size === f.stat.size && row.mtime_ms === f.stat.mtimeMs && row.fingerprint === embedder.fingerprint;
    // unchanged, unless the size limit moved across this file
    if (unchanged && (row.status === 'too-large') === f.stat.size > maxBytes) {
      if (row.status === 'too-large') counts.skippedLarge++;
      else countUnchanged(row);
      return;
    }
    // the walk's stat may be minutes old by now (a slow model): take a fresh one
    let fresh: Stats;
    let bytes: Buffer | undefined;
    try {
      fresh = await fs.stat(f.abs);
      if (fresh.size <= maxBytes) bytes = await fs.readFile(f.abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        counts.changedDuringRun++;
        if (row) counts.removed += await store.deleteDocuments([f.rel]);
        seen.delete(f.rel);
        return;
      }
      counts.unreadable++;
      log('warn', `Search index: cannot read ${f.rel} (${code ?? 'error'}); skipped.`);
      return;
    }
    const size = fresh.size;
    const mtimeMs = fresh.mtimeMs;
    if (!bytes) {
      counts.skippedLarge++;
      await store.writeDocument({ path: f.rel, size, mtimeMs, hash: '', fingerprint: embedder.fingerprint, status: 'too-large', latin1: false, text: '', chunks: [] });
      return;
    }
    const after = await fs.stat(f.abs).catch(() => undefined);
    if (!after || after.size !== bytes.byteLength || after.mtimeMs !== mtimeMs) {
      // written while we read it: the watcher or the next run gets the final version
      counts.changedDuringRun++;
      return;
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (row && row.hash === hash && row.fingerprint === embedder.fingerprint && row.status !== 'too-large') {
      await store.touch(row.id, size, mtimeMs);
      return countUnchanged(row);
    }
    const base = { path: f.rel, size, mtimeMs, hash, fingerprint: embedder.fingerprint };
    if (looksBinary(bytes)) {
      counts.skippedBinary++;
      await store.writeDocument({ ...base, status: 'binary', latin1: false, text: '', chunks: [] });
      return;
    }
    const { text, latin1 } = decodeNote(bytes);
    if (latin1) {
      counts.latin1++;
      log('warn', `Search index: ${f.rel} is not valid UTF-8; read as Latin-1.`);
    }
    const chunks = text.trim() ? embedder.chunk(text) : [];
    let embeddings: Float32Array[] | undefined;
    if (vectors && chunks.length) {
      embeddings = [];
      const batch = Math.max(1, opts.embedBatch ?? 32);
      for (let i = 0; i < chunks.length; i += batch) {
        if (opts.signal?.aborted) throw new EngineError('cancelled', 'Indexing was cancelled.');
        const part = chunks.slice(i, i + batch).map((c) => text.slice(c.start, c.end));
        embeddings.push(...(await embedder.embed(part, opts.signal)));
      }
    }
    if (opts.signal?.aborted) throw new EngineError('cancelled', 'Indexing was cancelled.');
    await store.writeDocument({ ...base, status: chunks.length ? 'indexed' : 'empty', latin1, text, chunks, vectors: embeddings });
    counts.indexed++;
    counts.chunks += chunks.length;
    counts.tokens += chunks.reduce((a, c) => a + c.tokens, 0);
  }

  function countUnchanged(row: DocumentRow): void {
    counts.unchanged++;
    if (row.status === 'binary') counts.skippedBinary++;
    if (row.latin1) counts.latin1++;
  }
}

interface WalkEntry {
  rel: string;
  abs: string;
  /** undefined: the file is gone */
  stat?: Stats;
}

async function* walk(root: string, start: string, exclude: string[], counts: IndexCounts, log: NonNullable<IndexOptions['log']>): AsyncGenerator<WalkEntry> {
  const visited = new Set<string>();
  const stack: string[] = [start];
  // folders reached through symlinks wait until the real tree is walked, so notes keep their real paths
  const linked: string[] = [];
  while (stack.length || linked.length) {
    const dir = stack.length ? stack.pop()! : linked.shift()!;
    const real = await fs.realpath(dir).catch(() => undefined);
    // a symlink that leads back up the tree would be walked forever
    if (!real || visited.has(real)) continue;
    visited.add(real);
    let entries: Dirent[];
    try {
      entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
      counts.unreadable++;
      log('warn', `Search index: cannot list ${toRel(root, dir) || '.'} (${(e as NodeJS.ErrnoException).code ?? 'error'}); skipped.`);
      continue;
    }
    const subdirs: string[] = [];
    // stat a directory's entries a batch at a time: the thread pool runs them in parallel
    const stats = await statAll(entries.map((d) => join(dir, d.name)));
    for (let i = 0; i < entries.length; i++) {
      const abs = join(dir, entries[i].name);
      const rel = toRel(root, abs);
      const got = stats[i];
      if ('error' in got) {
        const code = got.error.code;
        if (code !== 'ENOENT') {
          // ELOOP (a symlink to itself), EACCES
          counts.unreadable++;
          log('warn', `Search index: cannot open ${rel} (${code ?? 'error'}); skipped.`);
        }
        continue;
      }
      const st = got.stat;
      if (st.isDirectory()) {
        if (excludesDirectory(exclude, rel)) continue;
        if (entries[i].isSymbolicLink()) linked.push(abs);
        else subdirs.push(abs);
      } else if (st.isFile()) yield { rel, abs, stat: st };
    }
    // depth-first in name order: stable runs, and a resumed run meets files in the same order
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}

async function* listPaths(root: string, paths: string[], exclude: string[], counts: IndexCounts, log: NonNullable<IndexOptions['log']>): AsyncGenerator<WalkEntry> {
  for (const p of [...new Set(paths)]) {
    const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
    const rel = toRel(root, abs);
    if (!rel || rel.startsWith('../') || rel === '..') continue;
    const st = await fs.stat(abs).catch(() => undefined);
    // a folder created or renamed into place: index what it holds
    if (st && st.isDirectory()) {
      if (!excludesDirectory(exclude, rel)) yield* walk(root, abs, exclude, counts, log);
      continue;
    }
    yield { rel, abs, stat: st?.isFile() ? st : undefined };
  }
}

async function statAll(paths: string[]): Promise<Array<{ stat: Stats } | { error: NodeJS.ErrnoException }>> {
  const out: Array<{ stat: Stats } | { error: NodeJS.ErrnoException }> = [];
  for (let i = 0; i < paths.length; i += 64) {
    const batch = paths.slice(i, i + 64).map((p) =>
      fs.stat(p).then(
        (stat) => ({ stat }),
        (error: NodeJS.ErrnoException) => ({ error }),
      ),
    );
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function toRel(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}
