/**
 * `cmb index DIR [--model DIR] [--db FILE]` and
 * `cmb search DIR "query" [--k N] [--json] [--model DIR] [--db FILE] [--glob PATTERN]`:
 * the same store, indexer and search as the extension, without VS Code.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultEngineSettings, precisionSettings, type EngineSettings, type Pooling, type PrecisionSetting, type ProviderSetting } from '../engine/coreProtocol';
import { EngineError } from '../engine/errors';
import { readRegularTextFile } from '../engine/regularFile';
import type { ChunkEmbedder } from '../engine/index/embedder';
import { modelEmbedder } from '../engine/index/modelEmbedder';
import { loadModel } from '../engine/model/loadModel';
import { clampThreads } from '../engine/model/threads';
import { embedTexts } from '../engine/tasks/embed';
import type { CliIo } from './io';
import { MAX_GLOB_CHARS } from '../engine/index/glob';
import { indexFolder, vectorsWouldBeLost } from '../engine/index/indexer';
import { defaultDbPath, progressMessage } from '../engine/index/handlers';
import { findSimilar, searchIndex, type SearchResponse } from '../engine/index/search';
import { IndexStore } from '../engine/index/store';
import { lexicalOnlyEmbedder } from '../engine/index/wordChunker';

/** what the search commands print to: `processIo` from ./io fits */
export type SearchCliIo = Pick<CliIo, 'out' | 'err'>;

/** A model loaded for indexing, released when the command ends. */
export type CliEmbedder = ChunkEmbedder & { dispose?(): Promise<void> };

export interface SearchCliHooks {
  /** loads the --model folder (default: the engine's loader, in this process) */
  loadEmbedder?(modelDir: string, settings: EngineSettings): Promise<CliEmbedder>;
  /** where a folder's index lives without --db (default: cliDefaultDbPath) */
  defaultDbPath?(folder: string): string;
  /** true when stdout is a terminal: matches are shown in bold */
  color?: boolean;
  signal?: AbortSignal;
}

/** the engine's model loader and embedding, without a worker: the CLI has no event loop to protect */
export async function loadModelEmbedder(modelDir: string, settings: EngineSettings): Promise<CliEmbedder> {
  const model = await loadModel(modelDir, settings);
  const e = modelEmbedder(model, settings, async (texts, signal) => (await embedTexts(model, texts, settings.pooling, signal)).embeddings);
  return { ...e, dispose: () => model.dispose() };
}

interface ParsedArgs {
  positional: string[];
  options: Map<string, string[]>;
  flags: Set<string>;
}

const valueOptions = new Set(['--model', '--db', '--k', '--glob', '--include', '--exclude', '--max-file-mb', '--similar-to', '--provider', '--threads', '--window', '--stride', '--batch', '--batch-tokens', '--precision', '--pooling', '--cache']);
const flagOptions = new Set(['--json', '--help', '--rebuild']);

export const indexUsage = 'usage: cmb index DIR [--model DIR] [--db FILE] [--rebuild] [--include GLOB]... [--exclude GLOB]... [--max-file-mb N] [--json] [model options: --provider --precision --threads --window --stride --batch --batch-tokens --pooling]';
export const searchUsage = 'usage: cmb search DIR "query" [--k N] [--json] [--model DIR] [--db FILE] [--glob PATTERN]\n       cmb search DIR --similar-to FILE [--k N] [--json] --model DIR';

export function parseArgs(args: string[]): ParsedArgs {
  const out: ParsedArgs = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      out.positional.push(...args.slice(i + 1));
      break;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (valueOptions.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      out.options.set(name, [...(out.options.get(name) ?? []), v]);
    } else if (flagOptions.has(a)) out.flags.add(a);
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

class UsageError extends Error {}

/** over-long globs are refused before any work: the matcher's cost grows with the pattern */
function checkPatterns(a: ParsedArgs): void {
  for (const name of ['--glob', '--include', '--exclude']) {
    for (const g of a.options.get(name) ?? []) if (g.length > MAX_GLOB_CHARS) throw new UsageError(`${name} takes a pattern of at most ${MAX_GLOB_CHARS} characters`);
  }
}

/** the same file the engine uses for this folder, under CMB_STORAGE_DIR or ~/.cache/clinical-modernbert */
export function cliDefaultDbPath(folder: string): string {
  const base = process.env.CMB_STORAGE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'clinical-modernbert');
  return defaultDbPath(base, folder);
}

export async function runIndex(args: string[], io: SearchCliIo, hooks: SearchCliHooks = {}): Promise<number> {
  return guarded(io, indexUsage, async () => {
    const a = parseArgs(args);
    if (a.flags.has('--help')) return usage(io, indexUsage, 0);
    if (a.positional.length !== 1) return usage(io, indexUsage, 2);
    checkPatterns(a);
    const folder = resolve(a.positional[0]);
    const { embedder, note } = await embedderFor(a, hooks, io);
    if (note) io.err(note);
    const maxMB = a.options.get('--max-file-mb')?.[0];
    if (maxMB !== undefined && !(Number(maxMB) > 0)) throw new UsageError('--max-file-mb needs a positive number');
    const { store, notice } = await IndexStore.open(dbPathFor(a, folder, hooks), folder);
    try {
      if (notice) io.err(notice);
      const rebuild = a.flags.has('--rebuild');
      const lost = rebuild ? undefined : await vectorsWouldBeLost(store, embedder);
      if (lost) {
        // hours of embedding would go: the user says so with --rebuild, or gives the model
        io.err(`cmb: this index was built with the model in ${lost.model}; give --model ${lost.model} to update it, or --rebuild to rebuild it by words only.`);
        return 1;
      }
      if (rebuild) await store.clear();
      let last = 0;
      const r = await indexFolder(store, embedder, {
        folder,
        include: a.options.get('--include'),
        exclude: a.options.get('--exclude'),
        maxFileBytes: maxMB ? Math.round(Number(maxMB) * 1048576) : undefined,
        dropVectors: rebuild,
        signal: hooks.signal,
        log: (level, m) => io.err(`${level}: ${m}`),
        onProgress: (c) => {
          if (Date.now() - last > 1000) {
            last = Date.now();
            io.err(progressMessage(c));
          }
        },
      });
      if (a.flags.has('--json')) io.out(JSON.stringify({ ...r, db: store.file }));
      else {
        io.out(
          `${r.cancelled ? 'Cancelled' : 'Indexed'} ${folder}: ${r.indexed} notes indexed, ${r.unchanged} unchanged, ${r.removed} removed; ` +
            `skipped ${r.skippedBinary} binary, ${r.skippedLarge} too large, ${r.unreadable} unreadable${r.badNames ? `, ${r.badNames} named in other than UTF-8` : ''}; ` +
            (r.notChecked ? `${r.notChecked} notes in unreadable folders kept as they were; ` : '') +
            `${r.chunks} passages, ${r.tokens} tokens in ${(r.ms / 1000).toFixed(1)} s${r.lexicalOnly ? ' (words only, no vectors)' : ''}.\n` +
            `Index: ${store.file}`,
        );
      }
      return r.cancelled ? 130 : r.failed ? 1 : 0;
    } finally {
      await store.close();
      await embedder.dispose?.();
    }
  });
}

export async function runSearch(args: string[], io: SearchCliIo, hooks: SearchCliHooks = {}): Promise<number> {
  return guarded(io, searchUsage, async () => {
    const a = parseArgs(args);
    if (a.flags.has('--help')) return usage(io, searchUsage, 0);
    if (a.flags.has('--rebuild')) throw new UsageError('unknown option --rebuild');
    const similarTo = a.options.get('--similar-to')?.[0];
    if (a.positional.length !== (similarTo ? 1 : 2)) return usage(io, searchUsage, 2);
    checkPatterns(a);
    const folder = resolve(a.positional[0]);
    const kText = a.options.get('--k')?.[0];
    const k = kText === undefined ? 10 : Number(kText);
    if (!Number.isInteger(k) || k < 1) throw new UsageError('--k needs a whole number of at least 1');
    // read first: a pipe or a device named here must not hang or fill memory, and needs no model loaded to refuse
    const similarText = similarTo ? readRegularTextFile(resolve(similarTo), `--similar-to ${similarTo}`) : undefined;
    const { embedder, note } = await embedderFor(a, hooks, io);
    const dbPath = dbPathFor(a, folder, hooks);
    const { store, notice } = await IndexStore.open(dbPath, folder, { forSearch: true });
    try {
      if (notice) io.err(notice);
      if ((await store.counts()).documents === 0) io.err(`The index is empty; run: cmb index ${a.positional[0]}`);
      const lost = a.options.has('--model') ? undefined : await vectorsWouldBeLost(store, embedder);
      const noVectorsReason = lost ? `No --model given, so notes are matched by words only; the index was built with the model in ${lost.model}: give --model ${lost.model} to search by meaning too.` : note;
      let res: SearchResponse;
      if (similarTo && similarText !== undefined) {
        const abs = resolve(similarTo);
        const text = similarText;
        const rel = abs.startsWith(folder + '/') ? abs.slice(folder.length + 1) : undefined;
        res = await findSimilar(store, embedder, { text, k, excludePath: rel, pathGlob: a.options.get('--glob')?.[0], signal: hooks.signal, noVectorsReason });
      } else {
        res = await searchIndex(store, embedder, { query: a.positional[1], k, pathGlob: a.options.get('--glob')?.[0], signal: hooks.signal, noVectorsReason });
      }
      io.out(a.flags.has('--json') ? JSON.stringify(jsonOf(res, folder)) : textOf(res, hooks.color ?? false));
      return 0;
    } finally {
      await store.close();
      await embedder.dispose?.();
    }
  });
}

function jsonOf(res: SearchResponse, folder: string) {
  return {
    lexicalOnly: res.lexicalOnly,
    ...(res.reason ? { reason: res.reason } : {}),
    ms: res.ms,
    results: res.results.map((r) => ({
      path: r.path,
      file: join(folder, r.path),
      start: r.passage.start,
      end: r.passage.end,
      score: r.score,
      rankers: r.rankers,
      snippet: r.snippet,
      snippetStart: r.snippetStart,
      highlights: r.highlights,
    })),
  };
}

function textOf(res: SearchResponse, color: boolean): string {
  const lines: string[] = [];
  if (res.lexicalOnly && res.reason) lines.push(`(${res.reason})`);
  if (!res.results.length) lines.push('No matching notes.');
  res.results.forEach((r, i) => {
    lines.push(`${i + 1}. ${r.path}:${r.passage.start}-${r.passage.end}  [${r.rankers.join('+')}]  ${r.score.toFixed(4)}`);
    lines.push('   ' + highlighted(r.snippet, r.highlights, color).replace(/\s+/g, ' ').trim());
  });
  return lines.join('\n');
}

function highlighted(s: string, hs: Array<[number, number]>, color: boolean): string {
  const [open, close] = color ? ['\x1b[1m', '\x1b[22m'] : ['*', '*'];
  let out = '';
  let at = 0;
  for (const [a, b] of hs) {
    out += s.slice(at, a) + open + s.slice(a, b) + close;
    at = b;
  }
  return out + s.slice(at);
}

async function embedderFor(a: ParsedArgs, hooks: SearchCliHooks, io: Pick<CliIo, 'err'>): Promise<{ embedder: CliEmbedder; note?: string }> {
  const model = a.options.get('--model')?.[0];
  if (!model) return { embedder: lexicalOnlyEmbedder(), note: 'No --model given, so notes are matched by words only.' };
  const embedder = await (hooks.loadEmbedder ?? loadModelEmbedder)(resolve(model), modelSettings(a, io));
  return { embedder, note: embedder.demo ? 'The model is a demo or random-weight model, so notes are matched by words only.' : undefined };
}

function modelSettings(a: ParsedArgs, io: Pick<CliIo, 'err'>): EngineSettings {
  const one = (name: string) => a.options.get(name)?.at(-1);
  const int = (name: string, fallback: number) => {
    const v = one(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a whole number`);
    return n;
  };
  const provider = one('--provider') ?? defaultEngineSettings.executionProvider;
  if (!['auto', 'cuda', 'webgpu', 'cpu'].includes(provider)) throw new UsageError('--provider must be auto, cuda, webgpu or cpu');
  const pooling = one('--pooling') ?? defaultEngineSettings.pooling;
  if (pooling !== 'mean' && pooling !== 'cls') throw new UsageError('--pooling must be mean or cls');
  const precision = one('--precision') ?? 'auto';
  if (!precisionSettings.includes(precision as PrecisionSetting)) throw new UsageError('--precision must be auto, fp32, fp16 or int8');
  return {
    executionProvider: provider as ProviderSetting,
    windowTokens: int('--window', defaultEngineSettings.windowTokens),
    windowStride: int('--stride', defaultEngineSettings.windowStride),
    batchSize: Math.max(1, int('--batch', defaultEngineSettings.batchSize)),
    batchTokens: Math.max(1, int('--batch-tokens', defaultEngineSettings.batchTokens!)),
    threads: clampedThreads(int('--threads', defaultEngineSettings.threads), io),
    precision: precision as PrecisionSetting,
    pooling: pooling as Pooling,
    cacheDir: one('--cache') ?? '',
  };
}

function clampedThreads(requested: number, io: Pick<CliIo, 'err'>): number {
  const { threads, notice } = clampThreads(requested, '--threads');
  if (notice) io.err(`cmb: ${notice}`);
  return threads;
}

function dbPathFor(a: ParsedArgs, folder: string, hooks: SearchCliHooks): string {
  const db = a.options.get('--db')?.[0];
  return db ? resolve(db) : (hooks.defaultDbPath ?? cliDefaultDbPath)(folder);
}

function usage(io: SearchCliIo, text: string, code: number): number {
  (code ? io.err : io.out)(text);
  return code;
}

async function guarded(io: SearchCliIo, usageText: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cmb: ${e.message}\n${usageText}`);
      return 2;
    }
    if (e instanceof EngineError) {
      io.err(`cmb: ${e.message}`);
      return e.code === 'cancelled' ? 130 : 1;
    }
    io.err(`cmb: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
