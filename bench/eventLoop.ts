/**
 * The extension host's event loop while the engine embeds 1,000 notes: the
 * engine runs in its worker, so the host thread should only see message
 * passing. Uses the built worker (dist/engineWorker.js) exactly as the
 * extension does, with a generated tiny model (or --model DIR).
 * Usage: node --import tsx bench/eventLoop.ts [--model DIR] [--notes N] [--threads N]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { EngineClient } from '../src/engineClient';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { makeTestModelFolder } from '../src/engine/model/testModelFolder';
import { benchPassages } from './passages';
import { appendBenchmark, machineLine } from './report';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const root = path.resolve(__dirname, '..');
  const worker = path.join(root, 'dist', 'engineWorker.js');
  if (!fs.existsSync(worker)) throw new Error('dist/engineWorker.js is missing: run `node esbuild.mjs` first');
  let model = arg('model');
  if (!model) {
    model = path.join(root, 'bench', '.cache', 'tiny-modernbert');
    if (!fs.existsSync(path.join(model, 'config.json'))) makeTestModelFolder({ arch: 'modernbert', out: model, size: 'tiny' });
  }
  const count = Number(arg('notes') ?? 1000);
  const notes = benchPassages(count);
  const client = new EngineClient(worker, { log: () => undefined, crashed: (r) => console.error(r) }, { storageDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-bench-')) });
  const threads = Number(arg('threads') ?? defaultEngineSettings.threads);
  const info = await client.request('model.load', { path: model, settings: { ...defaultEngineSettings, threads } });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  let tokens = 0;
  // the way the indexer calls it: batches of notes, one request each
  for (let i = 0; i < notes.length; i += 16) {
    const r = await client.request('embed', { texts: notes.slice(i, i + 16) });
    tokens += r.tokens.reduce((a, b) => a + b, 0);
  }
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  await client.dispose();
  const line = `${notes.length} notes (${tokens} tokens) embedded through the worker in ${seconds.toFixed(1)} s with ${info.name} (${info.layers} layers, hidden ${info.hidden}), threads setting ${threads}; event-loop delay max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, mean ${(h.mean / 1e6).toFixed(2)} ms (target: max < 50 ms).`;
  console.log(line);
  appendBenchmark('Extension-host event loop while embedding', `${machineLine()}\n\n${line}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
