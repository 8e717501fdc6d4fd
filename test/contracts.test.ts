import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// DESIGN.md's contracts, checked over the whole source tree: the engine never
// imports 'vscode' (the CLI is the proof), and the extension side never loads
// the native packages (they belong to the engine worker).
const root = join(__dirname, '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from |require\()'([^']+)'/g)].map((m) => m[1]);

test('the engine and the CLI never import vscode', () => {
  const files = [...tsFiles(join(root, 'src', 'engine')), ...tsFiles(join(root, 'src', 'cli'))];
  assert.ok(files.length > 20);
  for (const f of files) assert.ok(!imports(f).includes('vscode'), `${relative(root, f)} imports vscode`);
});

test('the extension side never imports onnxruntime-node, sqlite3, sqlite-vec or umap-js', () => {
  const files = [...tsFiles(join(root, 'src', 'features')), ...['extension.ts', 'ctx.ts', 'engineClient.ts', 'config.ts'].map((f) => join(root, 'src', f))];
  for (const f of files) {
    // umap-js lays out the ICD map in the engine's projection thread, never in the extension host
    for (const m of imports(f)) assert.ok(!['onnxruntime-node', 'sqlite3', 'sqlite-vec', 'umap-js'].includes(m), `${relative(root, f)} imports ${m}`);
  }
});
