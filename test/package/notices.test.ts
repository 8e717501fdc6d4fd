/**
 * Every npm package bundled into dist/ (rather than shipped in node_modules
 * with its own licence file) is named, with its licence, in
 * THIRD_PARTY_NOTICES.md, which the VSIX carries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const external = ['vscode', ...Object.keys(manifest.dependencies)];

test('packages bundled into the extension, the engine, the CLI and the projection thread are in THIRD_PARTY_NOTICES.md', async () => {
  const bundled = new Set<string>();
  for (const entry of ['src/extension.ts', 'src/engine/worker.ts', 'src/cli/main.ts', 'src/engine/icd/projectionWorker.ts']) {
    const r = await esbuild.build({ entryPoints: [join(root, entry)], bundle: true, platform: 'node', format: 'cjs', external, write: false, metafile: true, outfile: 'out.js', logLevel: 'silent' });
    for (const input of Object.keys(r.metafile.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) bundled.add(m[1]!);
    }
  }
  assert.ok(bundled.has('umap-js'), `umap-js is bundled: ${[...bundled].join(', ')}`);
  const notices = readFileSync(join(root, 'THIRD_PARTY_NOTICES.md'), 'utf8');
  for (const pkg of bundled) {
    const version = (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(notices, new RegExp(`^\\| ${pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\| ${version.replace(/\./g, '\\.')} \\|`, 'm'), `${pkg} ${version} is bundled but not in THIRD_PARTY_NOTICES.md`);
  }
});
