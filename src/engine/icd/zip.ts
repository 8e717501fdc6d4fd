/**
 * A small zip reader for the CMS release archives: stored and deflated
 * entries, CRC-checked. Enough for those files; no zip64, no encryption.
 */
import * as zlib from 'node:zlib';
import { EngineError } from '../errors';

export interface ZipEntry {
  /** path inside the archive, forward slashes */
  name: string;
  data: Buffer;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function bad(label: string, why: string): EngineError {
  return new EngineError('bad-input', `${label} is not a usable zip file (${why}). The download may be incomplete; try again.`);
}

/**
 * Reads the entries whose names `want` accepts (all when omitted).
 * `label` names the archive in messages (a file name or URL, never content).
 */
export function readZip(buf: Buffer, label: string, want?: (name: string) => boolean): ZipEntry[] {
  if (buf.length < 22 || buf.readUInt32LE(0) !== 0x04034b50) throw bad(label, 'it does not start like a zip');
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(label, 'its directory is missing, so it is truncated');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw bad(label, 'zip64 archives are not supported');
  if (cdOffset + cdSize > eocd) throw bad(label, 'its directory points past the end');
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw bad(label, 'its directory is damaged');
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1').replace(/\\/g, '/');
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith('/') || (want && !want(name))) continue;
    if (flags & 1) throw bad(label, `${name} is encrypted`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw bad(label, `the entry ${name} is damaged`);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (dataStart + compSize > buf.length) throw bad(label, `the entry ${name} is cut off`);
    const raw = buf.subarray(dataStart, dataStart + compSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) + 1024 });
      } catch (e) {
        throw bad(label, `the entry ${name} cannot be inflated: ${(e as Error).message}`);
      }
    } else throw bad(label, `the entry ${name} uses compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc) throw bad(label, `the entry ${name} fails its checksum`);
    out.push({ name, data });
  }
  return out;
}
