/**
 * `cmb icd CODE... [--codesets DIR]` and `cmb icd-detect [--codesets DIR]`.
 * With --codesets, a store is built from the official files in DIR on first
 * use and cached, keyed by the files' names, sizes and modification times.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { EngineError } from '../engine/errors';
import { activeStoreFile, installFromFolder, openActiveStore, scanFolder } from '../engine/icd/install';
import { IcdCatalog, type CodeInfo } from '../engine/icd/lookup';
import type { IcdStore } from '../engine/icd/store';

/** What the ICD commands need from the terminal. */
export interface IcdCliIo {
  stdin: NodeJS.ReadableStream;
  stdout(text: string): void;
  stderr(text: string): void;
  /** where installed code sets live when --codesets is not given (default: the user cache folder) */
  storageDir?: string;
}

export function defaultCliStorageDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.platform === 'win32' ? process.env.LOCALAPPDATA : undefined) || path.join(os.homedir(), '.cache');
  return path.join(base ?? os.tmpdir(), 'clinical-modernbert');
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
async function storeForFolder(folder: string, io: IcdCliIo): Promise<IcdStore> {
  const abs = path.resolve(folder);
  const { files } = scanFolder(abs);
  const key = createHash('sha256').update(abs);
  for (const f of files.sort((a, b) => a.path.localeCompare(b.path))) {
    const st = fs.statSync(f.path);
    key.update(`\0${path.relative(abs, f.path)}\0${st.size}\0${st.mtimeMs}`);
  }
  const cache = path.join(io.storageDir ?? defaultCliStorageDir(), 'icd-cli', key.digest('hex').slice(0, 16));
  if (!activeStoreFile(cache)) {
    io.stderr(`Building the code-set store from ${abs} (first use; cached in ${cache}).\n`);
    fs.mkdirSync(cache, { recursive: true, mode: 0o700 });
    const r = await installFromFolder(cache, abs);
    for (const w of r.meta.warnings) io.stderr(`warning: ${w}\n`);
  }
  return (await openActiveStore(cache))!;
}

async function withCatalog(p: Parsed, io: IcdCliIo, body: (c: IcdCatalog) => Promise<number>): Promise<number> {
  const store = p.codesets ? await storeForFolder(p.codesets, io) : await openActiveStore(io.storageDir ?? defaultCliStorageDir());
  if (!store) io.stderr('No ICD code sets installed: descriptions are unavailable. Pass --codesets DIR (a folder of the official CMS files).\n');
  try {
    return await body(new IcdCatalog(store));
  } finally {
    await store?.close();
  }
}

const parentsOf = (r: CodeInfo) => r.parents.map((p) => ({ code: p.display, description: p.description }));

function fail(io: IcdCliIo, e: unknown): number {
  if (e instanceof EngineError) {
    io.stderr(`${e.message}\n`);
    return e.code === 'bad-input' ? 2 : 1;
  }
  io.stderr(`${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/** `cmb icd CODE...`: one JSON line per reading of each code; unknown codes say so (exit 0). */
export async function runIcd(args: string[], io: IcdCliIo): Promise<number> {
  try {
    const p = parseArgs(args);
    if (!p.positional.length) {
      io.stderr('usage: cmb icd CODE... [--codesets DIR]\n');
      return 2;
    }
    return await withCatalog(p, io, async (c) => {
      for (const { query, readings } of await c.lookup(p.positional)) {
        const known = readings.filter((r) => r.known);
        if (!known.length) {
          const guess = readings.length === 1 ? readings[0] : undefined;
          io.stdout(
            `${JSON.stringify({ query, code: guess?.display ?? query, system: guess?.systemName ?? null, known: false, description: null, billable: null, parents: guess ? parentsOf(guess) : [], message: readings.length ? 'not in the installed code sets' : 'not shaped like an ICD code' })}\n`,
          );
          continue;
        }
        for (const r of known) {
          io.stdout(`${JSON.stringify({ query, code: r.display, system: r.systemName, known: true, description: r.description, billable: r.billable, parents: parentsOf(r) })}\n`);
        }
      }
      return 0;
    });
  } catch (e) {
    return fail(io, e);
  }
}

/** `cmb icd-detect`: stdin JSON lines {"text"} -> one JSON line (a list of codes) per input line. */
export async function runIcdDetect(args: string[], io: IcdCliIo): Promise<number> {
  try {
    const p = parseArgs(args);
    if (p.positional.length) {
      io.stderr('usage: cmb icd-detect [--codesets DIR] < notes.jsonl\n');
      return 2;
    }
    return await withCatalog(p, io, async (c) => {
      const rl = readline.createInterface({ input: io.stdin, crlfDelay: Infinity });
      let n = 0;
      for await (const line of rl) {
        n++;
        if (!line.trim()) continue;
        let text: unknown;
        try {
          text = (JSON.parse(line) as { text?: unknown } | null)?.text;
        } catch {
          text = undefined;
        }
        if (typeof text !== 'string') {
          io.stderr(`icd-detect: line ${n} is not a JSON object with a "text" string.\n`);
          rl.close();
          return 2;
        }
        const found = await c.detect(text);
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
        io.stdout(`${JSON.stringify(out)}\n`);
      }
      return 0;
    });
  } catch (e) {
    return fail(io, e);
  }
}
