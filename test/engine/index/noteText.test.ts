import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNote, looksBinary } from '../../../src/engine/index/noteText';

test('UTF-8 is decoded with the BOM removed', () => {
  assert.deepEqual(decodeNote(Buffer.from('\uFEFFBP 120/80 — stable', 'utf8')), { text: 'BP 120/80 — stable', latin1: false });
  assert.deepEqual(decodeNote(Buffer.from('')), { text: '', latin1: false });
});

test('invalid UTF-8 falls back to Latin-1, one character per byte', () => {
  const bytes = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0xb5, 0x67]); // "Café µg" in Latin-1
  const d = decodeNote(bytes);
  assert.equal(d.latin1, true);
  assert.equal(d.text, 'Café µg');
  assert.equal(d.text.length, bytes.length);
});

test('a truncated multi-byte sequence is not valid UTF-8', () => {
  assert.equal(decodeNote(Buffer.from([0x61, 0xe2, 0x82])).latin1, true);
});

test('NUL bytes mark a file as binary', () => {
  assert.equal(looksBinary(Buffer.from('plain text')), false);
  assert.equal(looksBinary(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00])), true);
  assert.equal(looksBinary(Buffer.from('\uFEFFa', 'utf16le')), true, 'UTF-16 is treated as binary');
});
