// Bundles the extension, the engine worker and the CLI. Native packages stay
// external: their .node binaries are loaded from node_modules at run time.
import * as esbuild from 'esbuild';
import { chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const external = ['vscode', 'onnxruntime-node', 'sqlite3', 'sqlite-vec', '@huggingface/tokenizers'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external,
  logLevel: 'info',
};

const entries = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/engine/worker.ts'], outfile: 'dist/engineWorker.js' },
  // UMAP for the ICD map, in a thread of its own beside the engine (src/engine/icd/projectionThread.ts)
  { entryPoints: ['src/engine/icd/projectionWorker.ts'], outfile: 'dist/projectionWorker.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  for (const e of entries) {
    const ctx = await esbuild.context({ ...common, ...e });
    await ctx.watch();
  }
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
  chmodSync('dist/cli.js', 0o755);
}
