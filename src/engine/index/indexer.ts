/**
 * Brings a folder's index up to date: walks the folder (include/exclude globs,
 * symlink loops cut), skips what did not change (size and mtime, then content
 * hash), and writes each changed note in one transaction. Safe to interrupt at
 * any point: a rerun picks up where it stopped.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { promises as fs, type Dirent, type Stats } from 'node:fs';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { EngineError } from '../errors';
import { hasVectors, type ChunkEmbedder } from './embedder';
import { checkGlob, defaultExcludes, defaultIncludes, excludesDirectory, matchesAny } from './glob';
import { decodeNote, looksBinary } from './noteText';
import { describeStoreError, type DocumentRow, type IndexStore } from './store';

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
  /**
   * the index was built with a model and this embedder gives no vectors: drop
   * them (a rebuild the user asked for); without it such a run is refused
   */
  dropVectors?: boolean;
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
  /** indexed notes in folders that could not be listed (or files that could not be looked at) this run: kept as they were */
  notChecked: number;
  /** files and folders whose names are not valid UTF-8: not indexed (rename them) */
  badNames: number;
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

/**
 * The model the index's vectors came from, when updating it with `embedder`
 * would delete them (no model now, or a demo model): hours of work to redo.
 */
export async function vectorsWouldBeLost(store: IndexStore, embedder: ChunkEmbedder): Promise<{ model: string } | undefined> {
  const meta = await store.metaValues(['fingerprint', 'vectors', 'model']);
  if (meta.get('vectors') !== '1' || hasVectors(embedder) || meta.get('fingerprint') === embedder.fingerprint) return undefined;
  return { model: meta.get('model') || 'another model' };
}

export async function indexFolder(store: IndexStore, embedder: ChunkEmbedder, opts: IndexOptions): Promise<IndexRunResult> {
  try {
    return await indexFolderOnce(store, embedder, opts);
  } catch (e) {
    // a full disk or a lost database stops the run with one line; the notes written so far stay
    throw describeStoreError(e, store.file);
  }
}

async function indexFolderOnce(store: IndexStore, embedder: ChunkEmbedder, opts: IndexOptions): Promise<IndexRunResult> {
  const t0 = performance.now();
  const folder = resolve(opts.folder);
  const include = opts.include?.length ? opts.include : defaultIncludes;
  const exclude = opts.exclude ?? defaultExcludes;
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const log = opts.log ?? (() => undefined);
  for (const g of [...include, ...exclude]) checkGlob(g, 'include or exclude pattern');
  const counts: IndexCounts = {
    scanned: 0, indexed: 0, unchanged: 0, removed: 0, skippedBinary: 0, skippedLarge: 0,
    unreadable: 0, latin1: 0, changedDuringRun: 0, failed: 0, notChecked: 0, badNames: 0, chunks: 0, tokens: 0,
  };
  const folderStat = await fs.stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) throw new EngineError('bad-input', `The notes folder ${folder} does not exist or is not a folder.`);

  // a different chunker or model: the old passages and vectors mean nothing now
  const vectors = hasVectors(embedder);
  if ((await store.meta('fingerprint')) !== embedder.fingerprint) {
    const lost = opts.dropVectors ? undefined : await vectorsWouldBeLost(store, embedder);
    if (lost) {
      throw new EngineError(
        'bad-input',
        `The search index was built with the model in ${lost.model}; updating it without that model would delete its vectors. Load that model to update the index, or rebuild the index to match notes by words only.`,
      );
    }
    await store.clear();
    await store.setMeta('fingerprint', embedder.fingerprint);
    await store.setMeta('vectors', vectors ? '1' : '0');
    if (embedder.source) await store.setMeta('model', embedder.source);
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

  // folders that could not be listed and files that could not be looked at: their rows are kept, not removed
  const unchecked: Unchecked = { folders: [], files: new Set() };
  const walker: Walker = { root: folder, exclude, counts, log, unchecked };
  const files = opts.paths ? listPaths(walker, opts.paths) : walk(walker, folder);
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
      // the disk or the database failed: every note after this one would fail the same way
      if (isStoreFailure(e)) throw e;
      counts.failed++;
      log('error', `Search index: ${f.rel} was not indexed: ${e instanceof Error ? e.message : String(e)}`);
    }
    progress();
  }
  if (!cancelled && !opts.paths) {
    for (const [p, row] of known) {
      if (seen.has(p)) continue;
      if (isUnchecked(unchecked, p)) {
        if (row.status === 'indexed') counts.notChecked++;
      } else gone.push(p);
    }
    if (counts.notChecked) log('warn', `Search index: ${counts.notChecked} notes in folders that could not be read this time were kept as they were.`);
  }
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

interface Unchecked {
  /** relative folders ('' for the notes folder itself) that could not be listed */
  folders: string[];
  /** relative files that could not be looked at */
  files: Set<string>;
}

interface Walker {
  root: string;
  exclude: string[];
  counts: IndexCounts;
  log: NonNullable<IndexOptions['log']>;
  unchecked: Unchecked;
}

function isUnchecked(u: Unchecked, rel: string): boolean {
  return u.files.has(rel) || u.folders.some((d) => d === '' || rel.startsWith(d + '/'));
}

/** the file is not there (as opposed to there but unreadable for now: EACCES, EIO, ETIMEDOUT) */
function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function* walk(w: Walker, start: string): AsyncGenerator<WalkEntry> {
  const { root, exclude, counts, log } = w;
  const visited = new Set<string>();
  const stack: string[] = [start];
  // folders reached through symlinks wait until the real tree is walked, so notes keep their real paths
  const linked: string[] = [];
  while (stack.length || linked.length) {
    const dir = stack.length ? stack.pop()! : linked.shift()!;
    let entries: Dirent<Buffer>[];
    try {
      const real = await fs.realpath(dir);
      // a symlink that leads back up the tree would be walked forever
      if (visited.has(real)) continue;
      visited.add(real);
      // names as bytes: a name that is not UTF-8 would come back mangled, and then not be found
      entries = (await fs.readdir(dir, { withFileTypes: true, encoding: 'buffer' })).sort((a, b) => Buffer.compare(a.name, b.name));
    } catch (e) {
      if (isGone(e)) continue;
      // a network drive that is briefly away must not empty the index of that folder
      counts.unreadable++;
      w.unchecked.folders.push(toRel(root, dir));
      log('warn', `Search index: cannot list ${toRel(root, dir) || '.'} (${(e as NodeJS.ErrnoException).code ?? 'error'}); its notes are kept as they were.`);
      continue;
    }
    const named: Array<{ name: string; entry: Dirent<Buffer> }> = [];
    for (const entry of entries) {
      if (isUtf8(entry.name)) named.push({ name: entry.name.toString('utf8'), entry });
      else {
        counts.badNames++;
        log('warn', `Search index: the name "${entry.name.toString('utf8')}" in ${toRel(root, dir) || '.'} is not valid UTF-8, so it is not indexed; rename it to index it.`);
      }
    }
    const subdirs: string[] = [];
    // stat a directory's entries a batch at a time: the thread pool runs them in parallel
    const stats = await statAll(named.map((d) => join(dir, d.name)));
    for (let i = 0; i < named.length; i++) {
      const abs = join(dir, named[i].name);
      const rel = toRel(root, abs);
      const got = stats[i];
      if ('error' in got) {
        if (!isGone(got.error)) {
          // ELOOP (a symlink to itself), EACCES, EIO
          counts.unreadable++;
          w.unchecked.files.add(rel);
          w.unchecked.folders.push(rel);
          log('warn', `Search index: cannot open ${rel} (${got.error.code ?? 'error'}); skipped.`);
        }
        continue;
      }
      const st = got.stat;
      if (st.isDirectory()) {
        if (excludesDirectory(exclude, rel)) continue;
        if (named[i].entry.isSymbolicLink()) linked.push(abs);
        else subdirs.push(abs);
      } else if (st.isFile()) yield { rel, abs, stat: st };
    }
    // depth-first in name order: stable runs, and a resumed run meets files in the same order
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}

async function* listPaths(w: Walker, paths: string[]): AsyncGenerator<WalkEntry> {
  const { root, exclude, counts, log } = w;
  for (const p of [...new Set(paths)]) {
    const abs = isAbsolute(p) ? resolve(p) : resolve(root, p);
    const rel = toRel(root, abs);
    if (!rel || rel.startsWith('../') || rel === '..') continue;
    let st: Stats | undefined;
    try {
      st = await fs.stat(abs);
    } catch (e) {
      if (!isGone(e)) {
        // there but unreadable for now: keep what the index has
        counts.unreadable++;
        log('warn', `Search index: cannot open ${rel} (${(e as NodeJS.ErrnoException).code ?? 'error'}); skipped.`);
        continue;
      }
    }
    // a folder created or renamed into place: index what it holds
    if (st && st.isDirectory()) {
      if (!excludesDirectory(exclude, rel)) yield* walk(w, abs);
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

/** the database or its disk failed (full, read-only, damaged, gone): not a problem of one note */
function isStoreFailure(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PERM)/.test(code);
}

function toRel(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}
