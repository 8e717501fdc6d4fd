/**
 * Files written atomically go first to `<target>.<pid>.<time>.partial` beside
 * the target and are renamed into place when complete. A process killed while
 * writing leaves its partial file behind (a converted model: up to hundreds of
 * MB); the next writer of the same target removes those whose process is gone.
 * A partial file of a live process is another conversion in progress and is
 * left alone, unless it has not been written to for an hour (its pid reused).
 * Writers with names of their own (the ICD code-set builds) use
 * removeAbandonedPartials with their own pattern.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** a writer that has not touched its partial file for this long is gone, whatever its pid says */
const defaultAbandonedAfterMs = 60 * 60 * 1000;

export function partialPathFor(target: string, pid = process.pid, now = Date.now()): string {
  return `${target}.${pid}.${now}.partial`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** true while a process with this id exists (EPERM: it exists but belongs to someone else) */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface StalePartialOptions {
  isAlive?: (pid: number) => boolean;
  now?: number;
  /** a writer that has not touched its file for this long is gone, whatever its pid says (default: an hour) */
  abandonedAfterMs?: number;
}

/**
 * Removes the files of `dir` that `writerOf` recognises as partial, naming the
 * process id that writes them, when that process is gone or has left the file
 * untouched too long; returns the paths removed. Other files are never touched.
 */
export function removeAbandonedPartials(dir: string, writerOf: (name: string) => number | undefined, opts: StalePartialOptions = {}): string[] {
  const { isAlive = processAlive, now = Date.now(), abandonedAfterMs = defaultAbandonedAfterMs } = opts;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = writerOf(name);
    if (pid === undefined) continue;
    const path = join(dir, name);
    try {
      const idle = now - statSync(path).mtimeMs;
      if (isAlive(pid) && idle < abandonedAfterMs) continue;
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      // removed by another process meanwhile, still open on Windows, or not ours to remove: the next sweep tries again
    }
  }
  return removed;
}

/** Removes the partial files of `target` left by writers that are gone; returns the paths removed. */
export function removeStalePartials(target: string, opts: StalePartialOptions = {}): string[] {
  const pattern = new RegExp(`^${escapeRegExp(basename(target))}\\.(\\d+)\\.(\\d+)\\.partial$`);
  return removeAbandonedPartials(dirname(target), (name) => {
    const m = pattern.exec(name);
    return m ? Number(m[1]) : undefined;
  }, opts);
}

/** The same for every target named `targetName` one folder below `root` (a cache of converted models, one folder per source). */
export function removeStalePartialsBelow(root: string, targetName: string, opts: StalePartialOptions = {}): string[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  return entries.flatMap((e) => removeStalePartials(join(root, e, targetName), opts));
}
