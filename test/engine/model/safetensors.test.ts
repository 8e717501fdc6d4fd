import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../../../src/engine/errors';
import { parseSafetensors, readSafetensors, tensorAsFloat32, writeSafetensors } from '../../../src/engine/model/safetensors';

const dir = mkdtempSync(join(tmpdir(), 'cmb-safetensors-'));

/** a safetensors file from a header object and a data section */
function fileWith(name: string, header: unknown, data: Buffer, headerLength?: number): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, data]));
  return path;
}

function rejects(path: string, pattern: RegExp): void {
  assert.throws(() => readSafetensors(path), (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, 'corrupt-weights');
    assert.match(e.message, pattern);
    return true;
  });
}

test('float32 tensors round-trip and are views into the file buffer, not copies', () => {
  const path = join(dir, 'ok.safetensors');
  writeSafetensors(path, [
    { name: 'a', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    { name: 'b', shape: [1], data: () => Float32Array.of(-7.5) },
  ]);
  const f = readSafetensors(path);
  assert.deepEqual([...f.tensors.keys()], ['a', 'b']);
  assert.deepEqual(f.tensors.get('a')!.shape, [2, 3]);
  const a = tensorAsFloat32(f, 'a');
  assert.deepEqual(Array.from(a), [1, 2, 3, 4, 5, 6]);
  assert.equal(a.buffer, f.bytes.buffer);
  assert.deepEqual(Array.from(tensorAsFloat32(f, 'b')), [-7.5]);
});

test('float16 and bfloat16 tensors are widened to float32', () => {
  // 1.5 in f16 = 0x3e00, -2 in f16 = 0xc000; 1.5 in bf16 = 0x3fc0, -2 = 0xc000
  const f16 = Buffer.from([0x00, 0x3e, 0x00, 0xc0]);
  const bf16 = Buffer.from([0xc0, 0x3f, 0x00, 0xc0]);
  const path = fileWith('half.safetensors', {
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
  }, Buffer.concat([f16, bf16]));
  const f = readSafetensors(path);
  assert.deepEqual(Array.from(tensorAsFloat32(f, 'h')), [1.5, -2]);
  assert.deepEqual(Array.from(tensorAsFloat32(f, 'b')), [1.5, -2]);
});

test('a truncated file (data cut short) is rejected naming the tensor', () => {
  const path = join(dir, 'full.safetensors');
  writeSafetensors(path, [{ name: 'encoder.weight', shape: [64], data: new Float32Array(64) }]);
  const bytes = readFileSync(path);
  const cut = join(dir, 'truncated.safetensors');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  rejects(cut, /truncated\.safetensors.*"encoder\.weight".*truncated download/);
});

test('a header length past the end of the file is rejected', () => {
  rejects(fileWith('long-header.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4), 5000), /header length field says 5000 bytes/);
});

test('an absurd header length (over 100 MB) is rejected as corrupt, not read as a header', () => {
  rejects(fileWith('huge-header.safetensors', {}, Buffer.alloc(0), 2 ** 40), /more than the 100 MB/);
});

test('a file shorter than the length field is rejected', () => {
  const path = join(dir, 'tiny.safetensors');
  writeFileSync(path, Buffer.from([1, 2, 3]));
  rejects(path, /shorter than the 8-byte header length/);
});

test('a header that is not JSON is rejected', () => {
  const json = Buffer.from('{"a": nope}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  assert.throws(() => parseSafetensors(Buffer.concat([len, json]), 'bad.safetensors'), /bad\.safetensors.*not valid JSON/);
});

test('tensor offsets past the data section are rejected', () => {
  rejects(fileWith('offsets.safetensors', { 'layer.0.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(8)), /"layer\.0\.weight" claims bytes 0\.\.16 but the data section has 8 bytes/);
});

test('reversed offsets are rejected', () => {
  rejects(fileWith('reversed.safetensors', { w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, Buffer.alloc(8)), /"w" claims bytes 8\.\.4/);
});

test('overlapping tensors are rejected', () => {
  rejects(fileWith('overlap.safetensors', {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  }, Buffer.alloc(12)), /"a" and "b" overlap/);
});

test('an unknown dtype is rejected naming it', () => {
  rejects(fileWith('dtype.safetensors', { w: { dtype: 'F12', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /"w" has unknown dtype "F12"/);
});

test('a shape that does not match the byte length is rejected', () => {
  rejects(fileWith('shape.safetensors', { w: { dtype: 'F32', shape: [3, 3], data_offsets: [0, 32] } }, Buffer.alloc(32)), /"w" has shape \[3, 3\] of F32 \(36 bytes\) but 32 bytes of data/);
});

test('a missing tensor is a clear error', () => {
  const f = readSafetensors(join(dir, 'ok.safetensors'));
  assert.throws(() => tensorAsFloat32(f, 'nope'), /has no tensor "nope"/);
});

test('a missing file is a missing-file error', () => {
  assert.throws(() => readSafetensors(join(dir, 'absent.safetensors')), (e: unknown) => e instanceof EngineError && e.code === 'missing-file');
});

test('a header length off by one is refused: the tensors must tile the data section exactly', () => {
  // the reference writer pads the header with spaces, so one byte less still parses as JSON
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }) + ' ');
  const data = Buffer.from(Float32Array.of(1.5, -2).buffer);
  const withLength = (len: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(len));
    return Buffer.concat([b, header, data]);
  };
  assert.deepEqual(Array.from(tensorAsFloat32(parseSafetensors(withLength(header.length), 'ok.safetensors'), 'w')), [1.5, -2]);
  assert.throws(() => parseSafetensors(withLength(header.length - 1), 'shifted.safetensors'), (e: unknown) =>
    e instanceof EngineError && e.code === 'corrupt-weights' && /shifted\.safetensors.*the tensors cover 8 of the data section's 9 bytes \(is the header length field wrong\?\)/.test(e.message));
});

test('a gap before or between tensors, or bytes after the last one, are refused', () => {
  rejects(fileWith('gap-first.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, Buffer.alloc(8)), /tensor "w" starts at byte 4 of the data section where 0 was expected/);
  rejects(fileWith('gap-between.safetensors', {
    a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
  }, Buffer.alloc(12)), /tensor "b" starts at byte 8 of the data section where 4 was expected/);
  rejects(fileWith('tail.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(6)), /cover 4 of the data section's 6 bytes/);
  // empty tensors take no bytes anywhere
  const f = readSafetensors(fileWith('empty.safetensors', { e: { dtype: 'F32', shape: [0], data_offsets: [0, 0] }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)));
  assert.equal(f.tensors.size, 2);
});
