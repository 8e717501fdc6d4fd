/**
 * Writing the converted model: a full disk is one line that says so (no stack
 * trace, nothing left behind), and partial files a killed conversion left are
 * removed on the next load, while another live conversion's file is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError } from '../../../../src/engine/errors';
import { ensureOnnx, onnxPathFor } from '../../../../src/engine/model/convert/convert';
import { inspectModelFolder } from '../../../../src/engine/model/folder';
import { makeTestModel } from '../../../../src/engine/model/testModel';
import { partialPathFor, removeStalePartials } from '../../../../src/engine/partialFiles';
import { makeTestModelFolder } from '../../../../src/engine/model/testModelFolder';
import { scratch, writeStubTokenizer } from './convertedModel';

let n = 0;
function tinyFolder() {
  const dir = join(scratch, `write-${n++}`);
  makeTestModel({ arch: 'modernbert', out: dir });
  writeStubTokenizer(dir);
  return inspectModelFolder(dir);
}

/** a pid that belonged to a process which has exited */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

test('a full disk during conversion is one line saying so, and leaves no partial or converted file behind', () => {
  const f = tinyFolder();
  let written = 0;
  const fullAfter64k = (_fd: number, bytes: Uint8Array) => {
    written += bytes.byteLength;
    if (written > 64 * 1024) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  };
  assert.throws(() => ensureOnnx(f, { write: fullAfter64k }), (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, 'write-failed');
    assert.match(e.message, /^The disk is full: the converted model needs about \d+ MB in .*onnx\. Free some space \(nothing was left behind\)/);
    assert.doesNotMatch(e.message, /ENOSPC|\n/);
    return true;
  });
  assert.deepEqual(readdirSync(join(f.dir, 'onnx')), [], 'no partial file, no model, no stamp');
  const denied = () => {
    throw Object.assign(new Error('EACCES: permission denied, write'), { code: 'EACCES' });
  };
  assert.throws(() => ensureOnnx(f, { write: denied }), /cannot be written to .*onnx \(permission denied\)\. Make the folder writable, or convert into another folder/);
  assert.equal(ensureOnnx(f).converted, true, 'with space again the conversion succeeds');
});

test('on a real full disk (a 64 KiB tmpfs, root only) cmb convert prints one line and exits 1', (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return t.skip('needs root on Linux to mount a tmpfs');
  const mnt = join(scratch, `tiny-${n++}`);
  mkdirSync(mnt);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status !== 0) return t.skip('mount is not permitted here');
  try {
    const model = join(scratch, `cli-${n++}`);
    makeTestModelFolder({ arch: 'modernbert', out: model });
    const cli = resolve(__dirname, '..', '..', '..', '..', 'dist', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'convert', '--model', model, '--cache', mnt], { env: { ...process.env, CMB_STORAGE_DIR: scratch } });
    const err = r.stderr.toString().trim().split('\n').filter((l) => !/%$/.test(l));
    assert.equal(r.status, 1, err.join('\n'));
    assert.equal(err.length, 1, err.join('\n'));
    assert.match(err[0]!, /^cmb convert: The disk is full/);
    const left = readdirSync(mnt).flatMap((d) => readdirSync(join(mnt, d)));
    assert.deepEqual(left, []);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('partial files of a killed conversion are removed on the next load; a live conversion\'s file is kept', () => {
  const f = tinyFolder();
  ensureOnnx(f);
  const target = onnxPathFor(f, '');
  const dead = partialPathFor(target, deadPid(), 1);
  const live = partialPathFor(target, process.ppid, 2);
  const abandoned = partialPathFor(target, process.ppid, 3);
  const unrelated = join(f.dir, 'onnx', 'notes.partial');
  for (const p of [dead, live, abandoned, unrelated]) writeFileSync(p, 'x');
  const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000;
  utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
  assert.equal(ensureOnnx(f).converted, false, 'the current conversion is reused');
  assert.ok(!existsSync(dead), 'a dead writer\'s partial file is removed');
  assert.ok(!existsSync(abandoned), 'a partial file untouched for hours is removed');
  assert.ok(existsSync(live), 'a live writer\'s partial file is kept');
  assert.ok(existsSync(unrelated), 'other files are not touched');
});

test('in a cache folder, partial files of older checkpoint versions are swept too', () => {
  const f = tinyFolder();
  const cacheDir = join(scratch, `cache-${n++}`);
  const old = join(cacheDir, '0123456789abcdef', 'model.onnx');
  mkdirSync(join(cacheDir, '0123456789abcdef'), { recursive: true });
  writeFileSync(partialPathFor(old, deadPid(), 5), 'x');
  ensureOnnx(f, { cacheDir });
  assert.deepEqual(readdirSync(join(cacheDir, '0123456789abcdef')), []);
});

test('removeStalePartials only matches the target\'s own partial names', () => {
  const dir = join(scratch, `names-${n++}`);
  mkdirSync(dir);
  const target = join(dir, 'model.onnx');
  for (const name of ['model.onnx.12.34.partial', 'model.onnxx.12.34.partial', 'model.onnx.12.partial', 'xmodel.onnx.12.34.partial']) writeFileSync(join(dir, name), '');
  const removed = removeStalePartials(target, { isAlive: () => false });
  assert.deepEqual(removed, [join(dir, 'model.onnx.12.34.partial')]);
});
