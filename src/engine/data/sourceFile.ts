/**
 * Reads one dataset file as text, or reports why it cannot be used: over the
 * size cap, binary (or UTF-16), or not valid UTF-8. Files that fail are left
 * out whole with one problem naming the file and, for bad UTF-8, the line:
 * decoding with replacement characters would quietly change the text that the
 * labels' offsets point into.
 */
import * as fs from 'node:fs';
import type { DatasetProblem } from './types';

/** The default cap on one dataset file; V8 strings stop a little above 500 M characters. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // keeps a BOM so that brat offsets can be shifted past it

function size(n: number): string {
  return n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
}

function firstBadLine(bytes: Buffer): number {
  let line = 1;
  let from = 0;
  while (from <= bytes.length) {
    let nl = bytes.indexOf(0x0a, from);
    if (nl < 0) nl = bytes.length;
    try {
      strictUtf8.decode(bytes.subarray(from, nl));
    } catch {
      return line;
    }
    line++;
    from = nl + 1;
  }
  return line - 1;
}

export interface SourceText {
  text: string;
  /** the file began with a UTF-8 byte order mark, which is not part of `text` */
  hadBom: boolean;
}

/** `display` names the file in problems (relative to the dataset root). */
export async function readSourceText(file: string, display: string, maxBytes: number, problems: DatasetProblem[]): Promise<SourceText | undefined> {
  const bytesOnDisk = (await fs.promises.stat(file)).size;
  if (bytesOnDisk > maxBytes) {
    problems.push({ doc: display, file: display, message: `file is ${size(bytesOnDisk)}, over the ${size(maxBytes)} limit for one dataset file: left out (split it into smaller files)` });
    return undefined;
  }
  const bytes = await fs.promises.readFile(file);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    problems.push({ doc: display, file: display, message: 'file is UTF-16 text: left out (save it as UTF-8)' });
    return undefined;
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    problems.push({ doc: display, file: display, message: 'file looks binary (it has NUL bytes), not UTF-8 text: left out' });
    return undefined;
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    problems.push({ doc: display, file: display, line: firstBadLine(bytes), message: 'file has bytes that are not UTF-8 on this line: left out whole (save it as UTF-8)' });
    return undefined;
  }
  const hadBom = text.charCodeAt(0) === 0xfeff;
  return { text: hadBom ? text.slice(1) : text, hadBom };
}

/** The first bytes of a file, decoded leniently, for format detection. */
export async function readHead(file: string, bytes = 65536): Promise<string> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    await fh.close();
  }
}
