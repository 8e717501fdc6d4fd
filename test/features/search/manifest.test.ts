import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultExcludes, defaultIncludes } from '../../../src/engine/index/glob';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const source = readFileSync(join(root, 'src/features/search/index.ts'), 'utf8') + readFileSync(join(root, 'src/features/search/searchView.ts'), 'utf8');

test('every search command the feature registers is declared in the manifest, in the Clinical category', () => {
  const registered = [...source.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]);
  assert.ok(registered.length >= 4);
  const declared = new Map<string, { category: string }>(manifest.contributes.commands.map((c: { command: string; category: string }) => [c.command, c]));
  for (const id of registered) {
    assert.ok(declared.has(id), `${id} is in contributes.commands`);
    assert.equal(declared.get(id)!.category, 'Clinical');
  }
});

test('the search view has its own activity-bar container with an icon that exists', () => {
  const containers = manifest.contributes.viewsContainers.activitybar;
  const c = containers.find((x: { id: string }) => x.id === 'clinicalModernbertSearch');
  assert.ok(c);
  assert.ok(existsSync(join(root, c.icon)));
  const view = manifest.contributes.views.clinicalModernbertSearch[0];
  assert.equal(view.type, 'webview');
  assert.match(source, new RegExp(`SEARCH_VIEW_ID = '${view.id.replace(/\./g, '\\.')}'`));
  for (const f of ['search.js', 'search.css']) assert.ok(existsSync(join(root, 'media/search', f)));
});

test('search settings are declared with defaults the engine also uses', () => {

  const props = manifest.contributes.configuration.properties;
  assert.deepEqual(props['clinicalModernbert.search.include'].default, defaultIncludes);
  assert.deepEqual(props['clinicalModernbert.search.exclude'].default, defaultExcludes);
  assert.equal(props['clinicalModernbert.search.maxFileSizeMB'].default, 5);
});

test('the search feature never loads sqlite3 or onnxruntime', () => {
  for (const f of ['index.ts', 'searchView.ts', 'indexRunner.ts', 'noteWatcher.ts', 'indexState.ts']) {
    const text = readFileSync(join(root, 'src/features/search', f), 'utf8');
    assert.doesNotMatch(text, /from '(sqlite3|sqlite-vec|onnxruntime-node)'/);
    for (const m of text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)) assert.ok(!m[1].includes('engine/'), `${f} imports engine code at run time: ${m[1]}`);
  }
});

test('the search include/exclude settings are restricted in untrusted workspaces, and the feature reads them through the trust check', () => {
  const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of ['clinicalModernbert.search.include', 'clinicalModernbert.search.exclude']) assert.ok(restricted.includes(key), `${key} is restricted`);
  const runner = readFileSync(join(root, 'src/features/search/indexRunner.ts'), 'utf8');
  assert.match(runner, /effectiveList\('search\.include'\)/);
  assert.match(runner, /effectiveList\('search\.exclude'\)/);
});
