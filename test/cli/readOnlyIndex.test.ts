/**
 * An index in a folder that cannot be written: searching still works (opened
 * read-only), updating and creating say which folder is read-only in one line.
 * Root writes anywhere, so under root the commands run as the user "nobody".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = process.getuid?.() === 0;
const child = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'readOnlyIndexChild.ts')], {
  cwd: join(__dirname, '..', '..'),
  encoding: 'utf8',
  ...(root ? { uid: 65534, gid: 65534 } : {}),
  timeout: 120_000,
});
const skip = process.platform === 'win32' ? 'folder modes are POSIX' : child.error ? `cannot run the commands as an unprivileged user: ${child.error.message}` : false;

interface Said {
  code: number;
  out: string;
  err: string[];
}
const said: Record<string, Said> & { lockedDir: string; db: string } = skip ? ({} as never) : JSON.parse(child.stdout || '{}');

function oneClearLine(s: Said, ...mustName: RegExp[]) {
  assert.equal(s.code, 1, JSON.stringify(s));
  assert.equal(s.err.length, 1, `one line: ${JSON.stringify(s.err)}`);
  const line = s.err[0];
  assert.match(line, /^cmb: /);
  assert.doesNotMatch(line, /SQLITE_|ENOENT|EACCES|errno|\n/, `no internal names: ${line}`);
  for (const m of mustName) assert.match(line, m);
}

test('the child ran', { skip }, () => {
  assert.equal(child.status, 0, child.stderr);
  assert.equal(said.build.code, 0, JSON.stringify(said.build));
});

test('a new index in a read-only folder, or below one, is refused naming the folder', { skip }, () => {
  oneClearLine(said.newInLocked, new RegExp(said.lockedDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), /read-only/);
  oneClearLine(said.newUnderLocked, /permission denied/, /sub/);
});

test('an index in a read-only folder is searched read-only', { skip }, () => {
  assert.equal(said.searchInLocked.code, 0, JSON.stringify(said.searchInLocked));
  assert.equal(JSON.parse(said.searchInLocked.out).results[0].path, 'a.txt');
  assert.equal(said.searchReadOnlyFile.code, 0, JSON.stringify(said.searchReadOnlyFile));
  assert.equal(JSON.parse(said.searchReadOnlyFile.out).results[0].path, 'a.txt');
});

test('updating a read-only index is refused in one line naming the file, before any work', { skip }, () => {
  oneClearLine(said.indexInLocked, /read-only/, /index\.sqlite/);
  oneClearLine(said.indexReadOnlyFile, /read-only/, /index\.sqlite/);
});
