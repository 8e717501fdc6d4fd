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

/**
 * Import cycles among the engine's files, over every static `import … from`,
 * `export … from`, `import('…')` and `require('…')` of a relative path, type-only
 * imports included: a protocol file that imports nothing but leaves cannot
 * close a circle, and a handler that does is found here.
 */
function importCycles(dir: string): string[][] {
  const files = tsFiles(dir);
  const known = new Set(files);
  const resolveImport = (from: string, spec: string) => {
    const base = join(from, '..', spec);
    return [`${base}.ts`, join(base, 'index.ts')].find((p) => known.has(p));
  };
  const edges = new Map(
    files.map((f) => [
      f,
      [...readFileSync(f, 'utf8').matchAll(/(?:\bfrom\s+|\bimport\(\s*|\brequire\(\s*)'(\.[^']*)'/g)].map((m) => resolveImport(f, m[1]!)).filter((t): t is string => t !== undefined),
    ]),
  );
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    path.push(f);
    for (const t of edges.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].map((p) => relative(dir, p)));
      else if (!state.has(t)) visit(t);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

test('the engine\'s imports form no circle (type-only imports included): protocol types live in leaves, handlers beside them', () => {
  const cycles = importCycles(join(root, 'src', 'engine'));
  assert.deepEqual(cycles.map((c) => c.join(' -> ')), []);
});
