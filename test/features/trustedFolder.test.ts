/**
 * In an untrusted workspace, a folder setting may not make the extension load
 * files the workspace supplies: values from workspace settings, and folders
 * inside the workspace, are ignored with a reason; in a trusted one every
 * value is used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { isInside, trustedFolder, trustedList, type SettingLayers } from '../../src/features/trustedFolder';

const ws = path.resolve('/work/notes-project');
const home = path.resolve('/home/clinician/models/clinical-modernbert');

function decide(layers: SettingLayers, trusted: boolean, realpath?: (p: string) => string) {
  return trustedFolder({ what: 'model folder', layers, trusted, workspaceFolders: [ws], realpath });
}

test('a trusted workspace uses the workspace value over the user value', () => {
  assert.deepEqual(decide({ globalValue: home, workspaceValue: path.join(ws, 'model') }, true), { path: path.join(ws, 'model') });
});

test('a trusted workspace resolves a relative value against the first workspace folder', () => {
  assert.deepEqual(decide({ workspaceValue: 'models/mine' }, true), { path: path.join(ws, 'models', 'mine') });
});

test('nothing set gives no folder and no notice', () => {
  assert.deepEqual(decide({ defaultValue: '' }, false), { path: '' });
  assert.deepEqual(decide({}, true), { path: '' });
  assert.deepEqual(decide({ globalValue: '   ' }, false), { path: '' });
});

test('an untrusted workspace ignores the value from its workspace settings and falls back to the user value', () => {
  const r = decide({ globalValue: home, workspaceValue: '/tmp/elsewhere' }, false);
  assert.equal(r.path, home);
  assert.match(r.ignoredReason ?? '', /not trusted.*model folder set in its workspace settings is ignored/);
});

test('an untrusted workspace ignores a workspace-folder value with nothing to fall back to', () => {
  const r = decide({ workspaceFolderValue: path.join(ws, 'm') }, false);
  assert.equal(r.path, '');
  assert.ok(r.ignoredReason);
});

test('an untrusted workspace ignores a user value that points inside the workspace folder', () => {
  const r = decide({ globalValue: path.join(ws, 'sub', 'model') }, false);
  assert.equal(r.path, '');
  assert.match(r.ignoredReason ?? '', /inside it is ignored/);
});

test('an untrusted workspace ignores the workspace folder itself and relative user values', () => {
  assert.equal(decide({ globalValue: ws }, false).path, '');
  assert.equal(decide({ globalValue: 'models/demo' }, false).path, '');
});

test('an untrusted workspace ignores a user value that links into the workspace', () => {
  const link = path.resolve('/home/clinician/link-to-project-model');
  const r = decide({ globalValue: link }, false, (p) => (p === link ? path.join(ws, 'model') : p));
  assert.equal(r.path, '');
  assert.ok(r.ignoredReason);
});

test('an untrusted workspace keeps a user value outside it, silently', () => {
  assert.deepEqual(decide({ globalValue: home }, false), { path: home });
  // the same value repeated in workspace settings is no reason for a notice
  assert.deepEqual(decide({ globalValue: home, workspaceValue: home }, false), { path: home });
});

test('a sibling folder whose name starts like the workspace is not inside it', () => {
  assert.equal(isInside(`${ws}-models`, [ws]), false);
  assert.equal(isInside(path.join(ws, 'a'), [ws]), true);
  assert.equal(isInside(path.dirname(ws), [ws]), false);
});

test('an untrusted workspace whose settings file names the folder gets a notice even when VS Code hides the value', () => {
  const r = trustedFolder({ what: 'model folder', layers: { globalValue: home }, trusted: false, workspaceFolders: [ws], namedByWorkspaceFiles: true });
  assert.equal(r.path, home);
  assert.match(r.ignoredReason ?? '', /set in its workspace settings is ignored/);
});

// The search include/exclude patterns decide which of the user's files are read into the index.
test('an untrusted workspace cannot choose the search patterns: its value is ignored with a reason', () => {
  const defaults = ['**/*.txt'];
  const r = trustedList({ what: 'search include patterns', layers: { defaultValue: defaults, workspaceValue: ['**/*'] }, trusted: false });
  assert.deepEqual(r.value, defaults);
  assert.match(r.ignoredReason ?? '', /not trusted.*search include patterns set in its workspace settings are ignored/);
  assert.deepEqual(trustedList({ what: 'x', layers: { defaultValue: defaults, globalValue: ['notes/**'], workspaceFolderValue: ['**'] }, trusted: false }).value, ['notes/**']);
  const hidden = trustedList({ what: 'x', layers: { defaultValue: defaults }, trusted: false, namedByWorkspaceFiles: true });
  assert.deepEqual(hidden.value, defaults);
  assert.ok(hidden.ignoredReason, 'VS Code hid the value, the settings file names it');
});

test('a trusted workspace uses its own search patterns; the same value repeated is no reason for a notice', () => {
  assert.deepEqual(trustedList({ what: 'x', layers: { defaultValue: ['a'], globalValue: ['b'], workspaceValue: ['c'] }, trusted: true }), { value: ['c'] });
  assert.deepEqual(trustedList({ what: 'x', layers: { defaultValue: ['a'], globalValue: ['b'], workspaceValue: ['b'] }, trusted: false }), { value: ['b'] });
  assert.deepEqual(trustedList({ what: 'x', layers: {}, trusted: false }), { value: [] });
});
