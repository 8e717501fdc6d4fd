/**
 * Entries of a zip file on disk (a .nupkg is one), read without loading the
 * archive: the central directory (zip64 too: the CUDA provider library is
 * hundreds of MB), and entries streamed through inflate into a file, checked
 * against their size and CRC-32.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { EngineError } from '../../errors';
import { crc32 as crc32Js } from '../../icd/zip';

export interface ZipFileEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localHeaderOffset: number;
}

function bad(label: string, why: string): EngineError {
  return new EngineError('download-failed', `${label} is not a usable package (${why}); download it again.`);
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, b, got, length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/** The archive's entries (files only). */
export function listZipEntries(file: string, label: string): ZipFileEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tailLen = Math.min(size, 22 + 0xffff + 20);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw bad(label, 'its directory is missing, so it is truncated');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      // zip64: a locator just before the end record points at the zip64 end record
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw bad(label, 'its zip64 directory is missing');
      const z64 = readAt(fd, Number(tail.readBigUInt64LE(loc + 8)), 56);
      if (z64.length < 56 || z64.readUInt32LE(0) !== 0x06064b50) throw bad(label, 'its zip64 directory is damaged');
      count = Number(z64.readBigUInt64LE(32));
      cdSize = Number(z64.readBigUInt64LE(40));
      cdOffset = Number(z64.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > size || cdSize > 64 << 20) throw bad(label, 'its directory points past the end');
    const cd = readAt(fd, cdOffset, cdSize);
    const out: ZipFileEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw bad(label, 'its directory is damaged');
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let entrySize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen).replace(/\\/g, '/');
      // zip64 extra field: the 64-bit values, in this order, for those set to 0xffffffff
      let x = p + 46 + nameLen;
      const xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let q = x + 4;
          if (entrySize === 0xffffffff) {
            entrySize = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(cd.readBigUInt64LE(q));
            q += 8;
          }
          if (local === 0xffffffff) local = Number(cd.readBigUInt64LE(q));
        }
        x += 4 + len;
      }
      p = xEnd + commentLen;
      if (name.endsWith('/')) continue;
      if (flags & 1) throw bad(label, `${name} is encrypted`);
      out.push({ name, method, compressedSize, size: entrySize, crc, localHeaderOffset: local });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

type Crc32 = (data: Uint8Array, value?: number) => number;
/** zlib.crc32 (Node 20.15+, native) when there, else the table version */
const nativeCrc = (zlib as unknown as { crc32?: Crc32 }).crc32;

function crcTransform(): Transform & { crc(): number; bytes(): number } {
  let crc = 0;
  let n = 0;
  const chunks: Buffer[] = [];
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (nativeCrc) crc = nativeCrc(chunk, crc);
      else chunks.push(chunk);
      cb(null, chunk);
    },
  }) as Transform & { crc(): number; bytes(): number };
  // the table version has no running value: only small entries get here on old Node
  t.crc = () => (nativeCrc ? crc >>> 0 : crc32Js(Buffer.concat(chunks)));
  t.bytes = () => n;
  return t;
}

/** Streams one entry into `dest` (mode 0700), checking size and CRC; returns the sha256 of what was written. */
export async function extractEntry(file: string, entry: ZipFileEntry, dest: string, label: string, signal?: AbortSignal): Promise<string> {
  const fd = fs.openSync(file, 'r');
  let start: number;
  try {
    const lh = readAt(fd, entry.localHeaderOffset, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) throw bad(label, `the entry ${entry.name} is damaged`);
    start = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
  } finally {
    fs.closeSync(fd);
  }
  if (entry.method !== 0 && entry.method !== 8) throw bad(label, `${entry.name} uses compression method ${entry.method}`);
  const sha = createHash('sha256');
  const check = crcTransform();
  const hash = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sha.update(chunk);
      cb(null, chunk);
    },
  });
  const source = entry.compressedSize > 0 ? fs.createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: 1 << 20 }) : Readable.from([]);
  const steps: NodeJS.ReadWriteStream[] = entry.method === 8 ? [zlib.createInflateRaw()] : [];
  try {
    await pipeline([source, ...steps, check, hash, fs.createWriteStream(dest, { mode: 0o700 })], { signal });
  } catch (e) {
    fs.rmSync(dest, { force: true });
    if (signal?.aborted) throw new EngineError('cancelled', 'Setting up CUDA was cancelled.');
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw new EngineError('download-failed', `The disk is full while unpacking ${entry.name}; free some space and try again.`);
    throw bad(label, `${entry.name} cannot be unpacked: ${(e as Error).message}`);
  }
  if (check.bytes() !== entry.size || check.crc() !== entry.crc) {
    fs.rmSync(dest, { force: true });
    throw bad(label, `${entry.name} fails its checksum`);
  }
  return sha.digest('hex');
}

/** A small entry (the .nuspec) into memory. */
export async function readSmallEntry(file: string, entry: ZipFileEntry, label: string): Promise<Buffer> {
  if (entry.size > 1 << 20) throw bad(label, `${entry.name} is unexpectedly large`);
  const fd = fs.openSync(file, 'r');
  try {
    const lh = readAt(fd, entry.localHeaderOffset, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== 0x04034b50) throw bad(label, `the entry ${entry.name} is damaged`);
    const start = entry.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    const raw = readAt(fd, start, entry.compressedSize);
    const data = entry.method === 8 ? zlib.inflateRawSync(raw, { maxOutputLength: entry.size + 1024 }) : raw;
    if (data.length !== entry.size || crc32Js(data) !== entry.crc) throw bad(label, `${entry.name} fails its checksum`);
    return data;
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw bad(label, `${entry.name} cannot be read: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}
