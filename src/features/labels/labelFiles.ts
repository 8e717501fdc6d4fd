/**
 * Where a note's labels are on disk and how they are written. Free of the VS
 * Code API. A note `x.txt` (or `x.md`, any note the entity feature handles)
 * keeps its spans in `x.ann` beside it, brat's layout; files are written whole
 * or not at all (a temporary file beside the target, then a rename) and are
 * readable by the user only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function annPathFor(notePath: string): string {
  const ext = path.extname(notePath);
  return (ext ? notePath.slice(0, -ext.length) : notePath) + '.ann';
}

/**
 * Why `notePath` cannot have its own .ann, or undefined. brat pairs `x.ann`
 * with `x.txt`, so another note of the same stem (`x.md`) cannot label there
 * while `x.txt` exists.
 */
export function annConflict(notePath: string, exists: (p: string) => boolean): string | undefined {
  if (path.extname(notePath).toLowerCase() === '.txt') return undefined;
  const txt = annPathFor(notePath).replace(/\.ann$/, '.txt');
  if (exists(txt)) return `${path.basename(annPathFor(notePath))} belongs to ${path.basename(txt)} (brat pairs a .ann with the .txt of the same name); rename this note to label it`;
  return undefined;
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Does the file start with a UTF-8 byte order mark (which brat's offsets count)? */
export async function startsWithBom(file: string): Promise<boolean> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const buf = Buffer.alloc(3);
    const { bytesRead } = await fh.read(buf, 0, 3, 0);
    return bytesRead === 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  } catch {
    return false;
  } finally {
    await fh?.close();
  }
}

/** Writes `content` to `file` atomically (temporary file beside it, then rename), mode 0600. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    await fs.promises.writeFile(tmp, content, { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
