/**
 * Model files that are not regular files: a named pipe would block a read
 * forever, a link to /dev/zero would grow memory until the process aborts, and
 * folders, dangling links and link loops surfaced as bare errno messages. Each
 * runs the shipped CLI in a child process with a time limit, so a hang fails
 * the test instead of stalling the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';

const cli = resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'cmb-hostile-'));
const posix = process.platform !== 'win32';
let n = 0;

function cmb(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { timeout: 30_000, env: { ...process.env, CMB_STORAGE_DIR: root }, maxBuffer: 1 << 20 });
  return { code: r.status, signal: r.signal, err: r.stderr.toString('utf8') };
}

function model(edit: (dir: string) => void): string {
  const dir = join(root, `m${n++}`);
  makeTestModelFolder({ arch: 'bert', out: dir });
  edit(dir);
  return dir;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, 'mkfifo is needed for this test');
}

/** `cmb info` ends on its own with exit 1 and one line matching `pattern` */
function refused(dir: string, pattern: RegExp): void {
  const r = cmb(['info', '--model', dir, '--provider', 'cpu']);
  assert.equal(r.signal, null, `cmb info hung (killed by ${r.signal})`);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, pattern);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
  assert.doesNotMatch(r.err, /\n\s+at |ENOENT|ELOOP|EISDIR/);
}

test('config.json that is a folder, or a link loop, is named in one line', () => {
  refused(model((d) => {
    rmSync(join(d, 'config.json'));
    mkdirSync(join(d, 'config.json'));
  }), /config\.json in the model folder is a folder, not a file/);
  refused(model((d) => {
    rmSync(join(d, 'config.json'));
    symlinkSync('config.json', join(d, 'config.json'));
  }), /config\.json in the model folder is a symbolic link that loops back on itself/);
});

test('a dangling link is reported with its target: the weights, or the model folder itself', () => {
  refused(model((d) => {
    rmSync(join(d, 'model.safetensors'));
    symlinkSync(join(root, 'moved-away.safetensors'), join(d, 'model.safetensors'));
  }), /model\.safetensors in the model folder is a link to .*moved-away\.safetensors, which does not exist/);
  const target = model(() => {});
  const link = join(root, 'model-link');
  symlinkSync(target, link);
  renameSync(target, `${target}-moved`);
  refused(link, /The model folder .*model-link is a link to .*, which does not exist/);
});

test('weights, tokenizer or ONNX file that are a pipe or a device are refused without blocking or reading', { skip: !posix && 'named pipes and /dev/zero are POSIX' }, () => {
  refused(model((d) => {
    rmSync(join(d, 'model.safetensors'));
    mkfifo(join(d, 'model.safetensors'));
  }), /model\.safetensors in the model folder is a named pipe, not a file/);
  refused(model((d) => {
    rmSync(join(d, 'model.safetensors'));
    symlinkSync('/dev/zero', join(d, 'model.safetensors'));
  }), /model\.safetensors in the model folder is a device, not a file/);
  refused(model((d) => {
    rmSync(join(d, 'tokenizer.json'));
    mkfifo(join(d, 'tokenizer.json'));
  }), /tokenizer\.json in the model folder is a named pipe/);
  refused(model((d) => {
    mkdirSync(join(d, 'onnx'));
    symlinkSync('/dev/zero', join(d, 'onnx', 'model.onnx'));
  }), /onnx\/model\.onnx in the model folder is a device/);
});

test('search --similar-to a pipe or a device is refused at once', { skip: !posix && 'named pipes and /dev/zero are POSIX' }, () => {
  const notes = join(root, 'notes');
  mkdirSync(notes, { recursive: true });
  writeFileSync(join(notes, 'a.txt'), 'Pt denies chest pain.');
  const fifo = join(root, 'note.fifo');
  mkfifo(fifo);
  for (const file of [fifo, '/dev/zero']) {
    const r = cmb(['search', notes, '--similar-to', file, '--db', join(root, 'index.sqlite')]);
    assert.equal(r.signal, null, `cmb search hung (killed by ${r.signal})`);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /--similar-to .* is a (named pipe|device), not a file/);
  }
});
