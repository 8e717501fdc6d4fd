/**
 * `cmb icd CODE... [--codesets DIR]` and `cmb icd-detect [--codesets DIR]`.
 * With --codesets, a store is built from the official files in DIR on first
 * use and cached, keyed by the files' names, sizes and modification times.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError } from '../engine/errors';
import { activeStoreFile, installFromFolder, openActiveStore, scanFolder } from '../engine/icd/install';
import { IcdCatalog, type CodeInfo } from '../engine/icd/lookup';
import type { IcdStore } from '../engine/icd/store';
import { CliInputError, readJsonLines, type CliIo } from './io';

export interface IcdCliOptions {
  /** where installed code sets (and --codesets caches) live; default as for the rest of cmb */
  storageDir?: string;
}

export function storageDirOf(opts: IcdCliOptions): string {
  return opts.storageDir ?? (process.env.CMB_STORAGE_DIR || path.join(os.homedir(), '.cache', 'clinical-modernbert'));
}

interface Parsed {
  positional: string[];
  codesets?: string;
}

function parseArgs(args: string[]): Parsed {
  const out: Parsed = { positional: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--codesets') {
      const v = args[++i];
      if (!v) throw new EngineError('bad-input', '--codesets needs a folder.');
      out.codesets = v;
    } else if (a.startsWith('--codesets=')) out.codesets = a.slice('--codesets='.length);
    else if (a.startsWith('--')) throw new EngineError('bad-input', `Unknown option ${a}.`);
    else out.positional.push(a);
  }
  return out;
}

/** The store for --codesets DIR, built on first use into a cache keyed by the files. */
export async function storeForFolder(folder: string, io: CliIo, opts: IcdCliOptions): Promise<IcdStore> {
  const abs = path.resolve(folder);
  const { files } = scanFolder(abs);
  const key = createHash('sha256').update(abs);
  for (const f of files.sort((a, b) => a.path.localeCompare(b.path))) {
    const st = fs.statSync(f.path);
    key.update(`\0${path.relative(abs, f.path)}\0${st.size}\0${st.mtimeMs}`);
  }
  const cache = path.join(storageDirOf(opts), 'icd-cli', key.digest('hex').slice(0, 16));
  if (!activeStoreFile(cache)) {
    io.err(`Building the code-set store from ${abs} (first use; cached in ${cache}).`);
    fs.mkdirSync(cache, { recursive: true, mode: 0o700 });
    const r = await installFromFolder(cache, abs);
    for (const w of r.meta.warnings) io.err(`warning: ${w}`);
  }
  return (await openActiveStore(cache))!;
}

async function withCatalog(p: Parsed, io: CliIo, opts: IcdCliOptions, body: (c: IcdCatalog) => Promise<number>): Promise<number> {
  const store = p.codesets ? await storeForFolder(p.codesets, io, opts) : await openActiveStore(storageDirOf(opts));
  if (!store) io.err('No ICD code sets installed: descriptions are unavailable. Pass --codesets DIR (a folder of the official CMS files).');
  try {
    return await body(new IcdCatalog(store));
  } finally {
    await store?.close();
  }
}

const parentsOf = (r: CodeInfo) => r.parents.map((p) => ({ code: p.display, description: p.description }));

function fail(io: CliIo, e: unknown): number {
  if (e instanceof CliInputError) {
    io.err(`icd-detect: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof EngineError) {
    io.err(e.message);
    return e.code === 'bad-input' ? 2 : 1;
  }
  io.err(e instanceof Error ? e.message : String(e));
  return 1;
}

/** `cmb icd CODE...`: one JSON line per reading of each code; unknown codes say so (exit 0). */
export async function runIcd(args: string[], io: CliIo, opts: IcdCliOptions = {}): Promise<number> {
  try {
    const p = parseArgs(args);
    if (!p.positional.length) {
      io.err('usage: cmb icd CODE... [--codesets DIR]');
      return 2;
    }
    return await withCatalog(p, io, opts, async (c) => {
      for (const { query, readings } of await c.lookup(p.positional)) {
        const known = readings.filter((r) => r.known);
        if (!known.length) {
          const guess = readings.length === 1 ? readings[0] : undefined;
          const narrower = guess?.narrower?.map((n) => ({ code: n.display, description: n.description }));
          const message = !readings.length ? 'not shaped like an ICD code' : narrower ? 'a category: the installed files list only the codes under it' : 'not in the installed code sets';
          io.out(
            JSON.stringify({ query, code: guess?.display ?? query, system: guess?.systemName ?? null, known: false, description: null, billable: null, parents: guess ? parentsOf(guess) : [], message, ...(narrower ? { narrower } : {}) }),
          );
          continue;
        }
        for (const r of known) {
          const mappings = r.mappings?.map((m) => ({ code: m.display, system: m.systemName, description: m.description, approximate: m.approximate, combination: m.combination }));
          io.out(JSON.stringify({ query, code: r.display, system: r.systemName, known: true, description: r.description, billable: r.billable, parents: parentsOf(r), ...(mappings ? { mappings } : {}) }));
        }
      }
      return 0;
    });
  } catch (e) {
    return fail(io, e);
  }
}

/** `cmb icd-detect`: stdin JSON lines {"text"} -> one JSON line (a list of codes) per input line. */
export async function runIcdDetect(args: string[], io: CliIo, opts: IcdCliOptions = {}): Promise<number> {
  try {
    const p = parseArgs(args);
    if (p.positional.length) {
      io.err('usage: cmb icd-detect [--codesets DIR] < notes.jsonl');
      return 2;
    }
    return await withCatalog(p, io, opts, async (c) => {
      for await (const { value, line } of readJsonLines(io.stdin)) {
        if (typeof value.text !== 'string') throw new CliInputError(`line ${line}: expected a JSON object with a "text" string`);
        const found = await c.detect(value.text);
        const out = found.map((d) => {
          const [best, ...others] = d.readings;
          return {
            start: d.start,
            end: d.end,
            code: best!.display,
            system: best!.systemName,
            description: best!.description,
            ...(others.length ? { others: others.map((o) => ({ code: o.display, system: o.systemName, description: o.description })) } : {}),
          };
        });
        io.out(JSON.stringify(out));
      }
      return 0;
    });
  } catch (e) {
    return fail(io, e);
  }
}
