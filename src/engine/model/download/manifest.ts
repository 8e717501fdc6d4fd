/**
 * `.cmb-download.json` in a downloaded model folder: which repository,
 * revision and commit it holds, and every verified file with its digest. It is
 * rewritten after each verified file, so a resumed download skips what is
 * done, and says `complete: true` only when the folder holds the whole set.
 * Downloaded models are listed from these files (Choose Model).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DownloadedModel } from './protocol';

export const MANIFEST_FILE = '.cmb-download.json';
export const LOCK_FILE = '.cmb-download.lock';

export interface ManifestFile {
  path: string;
  size: number;
  sha256?: string;
  gitBlobSha1?: string;
}

export interface DownloadManifest {
  format: 1;
  repo: string;
  /** what the user asked for: a branch, tag or commit */
  revision: string;
  /** the commit every file came from */
  commit: string;
  /** the Hub endpoint's origin (no credentials) */
  endpoint: string;
  complete: boolean;
  startedAt: string;
  completedAt?: string;
  files: ManifestFile[];
}


/** `<storage>/models`: where downloads go unless --out says otherwise */
export function modelsDir(storageDir: string): string {
  return path.join(storageDir, 'models');
}

/** "owner/name" -> "owner--name" (a repository id never holds "--") */
export function folderNameFor(repo: string): string {
  return repo.replace('/', '--');
}

export function readManifest(dir: string): DownloadManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as DownloadManifest;
    if (m?.format !== 1 || typeof m.repo !== 'string' || typeof m.commit !== 'string' || !Array.isArray(m.files)) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

/** Written to a temporary name and renamed, so a crash never leaves half a manifest. */
export function writeManifest(dir: string, m: DownloadManifest): void {
  const file = path.join(dir, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(m, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The models downloaded into storage, newest first; incomplete ones are listed too (a download can resume them). */
export function listDownloadedModels(storageDir: string): DownloadedModel[] {
  const root = modelsDir(storageDir);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const out: DownloadedModel[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    const m = readManifest(dir);
    if (!m) continue;
    out.push({
      dir,
      repo: m.repo,
      revision: m.revision,
      commit: m.commit,
      complete: m.complete,
      bytes: m.files.reduce((s, f) => s + f.size, 0),
      completedAt: m.completedAt,
    });
  }
  return out.sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One download per folder at a time (two windows, or a window and the CLI,
 * would write the same partial files). A lock whose process is gone is taken
 * over: a killed download must not block the next one.
 */
export function acquireLock(dir: string): (() => void) | undefined {
  const file = path.join(dir, LOCK_FILE);
  if (heldHere.has(file)) return undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = NaN;
      try {
        pid = Number(fs.readFileSync(file, 'utf8').trim());
      } catch {
        /* removed meanwhile */
      }
      // our own pid in a lock we do not hold: left by an earlier process that had the same pid
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) return undefined;
      fs.rmSync(file, { force: true });
    }
  }
  return undefined;
}

/** locks this process holds (a second request in the same worker must wait its turn too) */
const heldHere = new Set<string>();
