/**
 * safetensors: 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and [begin, end) byte range, then the bytes. The file
 * is read once; float32 tensors are views into that one buffer, so a 550 MB
 * checkpoint is not copied again on its way into the ONNX file.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { EngineError } from '../errors';
import { readRegularFile, requireRegularFile } from '../regularFile';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'U16' | 'U32' | 'U64' | 'F8_E4M3' | 'F8_E5M2';

const dtypeBytes: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, U16: 2, U32: 4, U64: 8, F8_E4M3: 1, F8_E5M2: 1,
};

/** The spec caps the header at 100 MB; anything larger is a corrupt length field, not a header. */
const maxHeaderBytes = 100 * 1024 * 1024;

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** absolute byte range in the file */
  start: number;
  end: number;
}

export interface SafetensorsFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
  /** the whole file */
  bytes: Buffer;
}

function corrupt(path: string, detail: string): EngineError {
  return new EngineError(
    'corrupt-weights',
    `${basename(path)} is not a valid safetensors file: ${detail}. Download or export the checkpoint again.`,
  );
}

/** Validates a safetensors file held in memory; throws EngineError('corrupt-weights') naming file and tensor. */
export function parseSafetensors(bytes: Buffer, path: string): SafetensorsFile {
  if (bytes.length < 8) throw corrupt(path, `the file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const headerLength = bytes.readBigUInt64LE(0);
  if (headerLength > BigInt(maxHeaderBytes)) throw corrupt(path, `the header length field says ${headerLength} bytes, more than the 100 MB a header may have`);
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > bytes.length) {
    throw corrupt(path, `the header length field says ${headerLength} bytes but the file has only ${bytes.length - 8} after it (truncated download?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, headerEnd));
  } catch (e) {
    throw corrupt(path, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw corrupt(path, 'the header is not a JSON object');
  const dataLength = bytes.length - headerEnd;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  const ranges: Array<[number, number, string]> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value && typeof value === 'object') metadata = value as Record<string, string>;
      continue;
    }
    if (!value || typeof value !== 'object') throw corrupt(path, `tensor "${name}" has no description`);
    const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in dtypeBytes)) throw corrupt(path, `tensor "${name}" has unknown dtype "${String(dtype)}"`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw corrupt(path, `tensor "${name}" has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw corrupt(path, `tensor "${name}" has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw corrupt(path, `tensor "${name}" claims bytes ${begin}..${end} but the data section has ${dataLength} bytes (truncated download?)`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * dtypeBytes[dtype as SafetensorsDtype];
    if (expected !== end - begin) {
      throw corrupt(path, `tensor "${name}" has shape [${(shape as number[]).join(', ')}] of ${dtype} (${expected} bytes) but ${end - begin} bytes of data`);
    }
    ranges.push([begin, end, name]);
    tensors.set(name, { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], start: headerEnd + begin, end: headerEnd + end });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const prev = ranges[i - 1]!;
    const cur = ranges[i]!;
    if (cur[0] < prev[1] && cur[1] > cur[0]) throw corrupt(path, `tensors "${prev[2]}" and "${cur[2]}" overlap`);
  }
  // As the reference library: the tensors tile the data section exactly. A header
  // length off by one still parses (the header ends in padding spaces) but shifts
  // every tensor by a byte, which only this check notices.
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) {
      throw corrupt(path, `tensor "${name}" starts at byte ${begin} of the data section where ${covered} was expected (is the header length field wrong?)`);
    }
    covered = end;
  }
  if (covered !== dataLength) {
    throw corrupt(path, `the tensors cover ${covered} of the data section's ${dataLength} bytes (is the header length field wrong?)`);
  }
  return { path, metadata, tensors, bytes };
}

/** Node reads at most 2 GiB into one Buffer; ONNX's protobuf has the same limit. */
export const maxCheckpointBytes = 2 ** 31 - 1;

export function readSafetensors(path: string): SafetensorsFile {
  requireRegularFile(path, basename(path));
  if (statSync(path).size > maxCheckpointBytes) {
    throw new EngineError('unsupported-model', `${basename(path)} is larger than 2 GB; the converter handles encoders up to about 500M parameters in float32 (BERT-large and ModernBERT-large fit).`);
  }
  return parseSafetensors(readRegularFile(path, basename(path)), path);
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * A tensor as float32: a view into the file buffer when it is F32 and 4-byte
 * aligned, otherwise a converted copy (F16, BF16, F64, integers).
 */
export function tensorAsFloat32(file: SafetensorsFile, name: string): Float32Array {
  const t = file.tensors.get(name);
  if (!t) throw new EngineError('corrupt-weights', `${basename(file.path)} has no tensor "${name}".`);
  const { bytes } = file;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const abs = bytes.byteOffset + t.start;
  switch (t.dtype) {
    case 'F32':
      if (abs % 4 === 0) return new Float32Array(bytes.buffer, abs, n);
      return new Float32Array(bytes.buffer.slice(abs, abs + n * 4));
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToF32(bytes.readUInt16LE(t.start + 2 * i));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32
      const out = new Float32Array(n);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = bytes.readUInt16LE(t.start + 2 * i) << 16;
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes.readDoubleLE(t.start + 8 * i);
      return out;
    }
    case 'I64': case 'I32': case 'I16': case 'I8': case 'U8': case 'U16': case 'U32': case 'BOOL': {
      const out = new Float32Array(n);
      const size = dtypeBytes[t.dtype];
      for (let i = 0; i < n; i++) {
        const at = t.start + size * i;
        out[i] = t.dtype === 'I64' ? Number(bytes.readBigInt64LE(at)) : t.dtype === 'I32' ? bytes.readInt32LE(at) : t.dtype === 'I16' ? bytes.readInt16LE(at)
          : t.dtype === 'I8' ? bytes.readInt8(at) : t.dtype === 'U16' ? bytes.readUInt16LE(at) : t.dtype === 'U32' ? bytes.readUInt32LE(at) : bytes.readUInt8(at);
      }
      return out;
    }
    default:
      throw new EngineError('unsupported-model', `${basename(file.path)}: tensor "${name}" is ${t.dtype}, which the converter cannot read; save the checkpoint in float32, float16 or bfloat16.`);
  }
}

/** A float32 tensor to write: shape plus data, or a producer so huge checkpoints are generated one tensor at a time. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array | (() => Float32Array);
}

/** Writes float32 tensors as safetensors, streaming each tensor's bytes so memory stays at one tensor. */
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // pad with spaces so the data section starts 8-byte aligned, as the reference writer does
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeSync(fd, len);
    writeSync(fd, headerBytes);
    for (const t of tensors) {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (data.length !== expected) throw new Error(`writeSafetensors: ${t.name} has ${data.length} values for shape [${t.shape.join(', ')}]`);
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
