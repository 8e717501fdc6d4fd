/**
 * One sweep for what killed writers leave: the converted models' partial files
 * and the ICD builds' partial databases both go through removeAbandonedPartials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeAbandonedPartials } from '../../src/engine/partialFiles';

const LIVE = 111;
const GONE = 222;
const isAlive = (pid: number) => pid === LIVE;
const writerOf = (name: string) => {
  const m = /^build-(\d+)\.partial$/.exec(name);
  return m ? Number(m[1]) : undefined;
};

function folderWith(names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-partials-'));
  for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
  return dir;
}

test('a partial file whose writer is gone is removed; a live writer\'s stays; other files are never touched', () => {
  const dir = folderWith([`build-${GONE}.partial`, `build-${LIVE}.partial`, 'model.onnx', `build-${GONE}.partial.bak`]);
  const removed = removeAbandonedPartials(dir, writerOf, { isAlive });
  assert.deepEqual(removed, [path.join(dir, `build-${GONE}.partial`)]);
  assert.deepEqual(fs.readdirSync(dir).sort(), [`build-${GONE}.partial.bak`, `build-${LIVE}.partial`, 'model.onnx'].sort());
});

test('a live writer\'s file untouched for longer than the caller allows counts as abandoned (its pid reused)', () => {
  const dir = folderWith([`build-${LIVE}.partial`]);
  const later = Date.now() + 2 * 3600 * 1000;
  assert.deepEqual(removeAbandonedPartials(dir, writerOf, { isAlive, now: later, abandonedAfterMs: 24 * 3600 * 1000 }), []);
  assert.deepEqual(removeAbandonedPartials(dir, writerOf, { isAlive, now: later }), [path.join(dir, `build-${LIVE}.partial`)], 'an hour by default');
});

test('a folder that does not exist is nothing to sweep', () => {
  assert.deepEqual(removeAbandonedPartials(path.join(os.tmpdir(), 'cmb-no-such-folder', 'x'), writerOf), []);
});
