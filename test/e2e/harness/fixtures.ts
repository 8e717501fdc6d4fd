/**
 * What the end-to-end scenarios run against: the packaged VSIX, the demo model,
 * the ICD fixture code sets and a throwaway workspace of demo notes.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './codeServer';

export interface Manifest {
  name: string;
  displayName?: string;
  publisher: string;
  version: string;
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
    colors?: { id: string; defaults?: Record<string, string> }[];
  };
}

export const manifest: Manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

/** The VSIX under test: E2E_VSIX, set by scripts/run-e2e.mjs after packaging. */
export function vsixUnderTest(): string {
  const vsix = process.env.E2E_VSIX;
  if (!vsix || !existsSync(vsix)) throw new Error(`E2E_VSIX does not name a VSIX (${vsix ?? 'unset'}): run the end-to-end tests with npm run test:e2e`);
  return vsix;
}

/** The model folder the scenarios configure, when scripts/run-e2e.mjs could make one. */
export function modelUnderTest(): string | undefined {
  const m = process.env.E2E_MODEL;
  return m && existsSync(join(m, 'config.json')) ? m : undefined;
}

const icdFixtures = join(repoRoot, 'test', 'fixtures', 'icd');
/**
 * The fixture code sets as clinicalModernbert.icd.localFolder expects them: one
 * release folder of official files (test/fixtures/icd/release/ when the fixtures have one).
 */
export const icdFixtureDir = existsSync(join(icdFixtures, 'release')) ? join(icdFixtures, 'release') : icdFixtures;

/** True when the manifest contributes the ICD feature (a command whose id mentions icd). */
export function contributesIcd(): boolean {
  return (manifest.contributes?.commands ?? []).some((c) => /icd/i.test(c.command));
}

function textFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) textFiles(p, out);
    else if (/\.(txt|tsv|csv)$/i.test(name)) out.push(p);
  }
  return out;
}

/**
 * A code and its description from the ICD fixture files, preferring E11.9. Reads
 * the CMS layouts: "E119 Description" (code files) and the order file
 * ("00001 E119    1 Short description   Long description").
 */
export function icdFixtureCode(preferred = 'E119'): { code: string; description: string } | undefined {
  if (!existsSync(icdFixtureDir)) return undefined;
  const lines = textFiles(icdFixtureDir).flatMap((f) => readFileSync(f, 'utf8').split(/\r?\n/));
  const parse = (line: string) => {
    const m = /^(?:\d{5}\s+)?([A-Z][0-9][0-9A-Z]{1,5})\s+(?:[01]\s+)?(\S.*)$/.exec(line.trim());
    // GEM files ("E119 25000 10000") pair codes with codes: a title has words.
    return m && /[A-Za-z]{3}/.test(m[2]!) ? { raw: m[1]!, description: m[2]!.trim() } : undefined;
  };
  const rows = lines.map(parse).filter((r): r is { raw: string; description: string } => r !== undefined);
  const row = rows.find((r) => r.raw === preferred) ?? rows.find((r) => r.raw.length >= 4 && r.raw.length <= 6);
  if (!row) return undefined;
  // ICD-10-CM codes are written with a dot after the category in notes.
  const code = row.raw.length > 3 ? `${row.raw.slice(0, 3)}.${row.raw.slice(3)}` : row.raw;
  return { code, description: row.description };
}

/** A fresh workspace with the demo notes and an extra note for the scenarios; returns its path. */
export function makeWorkspace(extra: Record<string, string> = {}): string {
  const ws = mkdtempSync(join(tmpdir(), 'cmb-e2e-ws-'));
  cpSync(join(repoRoot, 'demo', 'notes'), join(ws, 'notes'), { recursive: true });
  for (const [rel, text] of Object.entries(extra)) {
    mkdirSync(join(ws, rel, '..'), { recursive: true });
    writeFileSync(join(ws, rel), text);
  }
  return ws;
}

/** Every file of a folder, by its path relative to the folder (for serving a release as one zip). */
export function folderFiles(dir: string, prefix = ''): { name: string; path: string }[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? folderFiles(p, `${prefix}${n}/`) : [{ name: `${prefix}${n}`, path: p }];
  });
}
