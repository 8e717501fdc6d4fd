import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dir = join(root, 'src/features/model');
const source = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');

test('every model, download and GPU command is declared in the manifest, in the Clinical category', () => {
  const registered = [...source.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]!);
  for (const id of ['clinicalModernbert.downloadModel', 'clinicalModernbert.setUpGpu', 'clinicalModernbert.setHuggingFaceToken', 'clinicalModernbert.clearHuggingFaceToken']) assert.ok(registered.includes(id), id);
  const declared = new Map<string, { category: string }>(manifest.contributes.commands.map((c: { command: string; category: string }) => [c.command, c]));
  for (const id of registered) {
    assert.ok(declared.has(id), `${id} is in contributes.commands`);
    assert.equal(declared.get(id)!.category, 'Clinical');
  }
});

test('where downloads and native libraries come from is set by the user only, never by a workspace', () => {
  const props = manifest.contributes.configuration.properties;
  for (const key of ['clinicalModernbert.hub.endpoint', 'clinicalModernbert.gpu.packageFeed']) {
    assert.equal(props[key].scope, 'machine', key);
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(key), key);
  }
});

test('the token lives in the secret storage only', () => {
  assert.match(source, /secrets\.store\(TOKEN_KEY/);
  assert.doesNotMatch(source, /update\([^)]*[Tt]oken/, 'never written to settings');
  assert.doesNotMatch(source, /log\([^)]*token\b/, 'never logged');
});
