/**
 * Training a head on frozen features (cmb train's engine path) on the
 * NCBI-disease train split with a real-size random checkpoint (model_type
 * bert, 22 layers, hidden 768, the released Clinical ModernBERT's sizes) and
 * the real ModernBERT tokenizer, CPU only:
 *   - cold run: feature extraction tokens/s (the encoder over every window),
 *     head training seconds per epoch, peak RSS;
 *   - warm run: the same notes again, every window from the feature cache.
 * Each run is its own process, so each peak RSS is its own. The figures on the
 * test split come from random weights and are meaningless; they are printed
 * labelled as such.
 *
 * Needs ../shared/data/ner/ncbi_disease and ../shared/data/tokenizers/modernbert.
 * The checkpoint is generated and converted once into bench/.cache/real-bert.
 * Usage: node --import tsx bench/train.ts [--sentences N] [--epochs N] [--layers K] [--head linear|mlp]
 *   --sentences N: the first N sentences only (a short run; not appended to BENCHMARKS.md)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { Engine, directContext } from '../src/engine/engine';
import { domainHandlers } from '../src/engine/domains';
import { readDataset } from '../src/engine/data/read';
import { makeTestModel } from '../src/engine/model/testModel';
import { inspectModelFolder } from '../src/engine/model/folder';
import { ensureOnnx } from '../src/engine/model/convert/convert';
import type { TrainResult } from '../src/engine/train/protocol';
import { appendBenchmark, machineLine } from './report';

const root = path.resolve(__dirname, '..');
const shared = path.resolve(root, '..', 'shared', 'data');
const ncbi = path.join(shared, 'ner', 'ncbi_disease', 'train.tsv');
const tokenizerDir = path.join(shared, 'tokenizers', 'modernbert');
const cache = path.join(root, 'bench', '.cache', 'real-bert');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sentences = arg('sentences') ? Number(arg('sentences')) : undefined;
const epochs = Number(arg('epochs') ?? 5);
const layers = Number(arg('layers') ?? 1);
const head = (arg('head') ?? 'linear') as 'linear' | 'mlp';

async function prepareModel(): Promise<void> {
  if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
    console.log('generating the real-size random checkpoint (once)...');
    makeTestModel({ arch: 'bert', out: cache, sizes: 'real' });
  }
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokenizerDir, f), path.join(cache, f));
  const { converted } = ensureOnnx(inspectModelFolder(cache), { cacheDir: '' });
  if (converted) console.log('converted to ONNX');
}

interface ChildReport {
  result: TrainResult;
  peakRssMiB: number;
  sentences: number;
}

/** One training run in this process: prints its figures as the last line. */
async function child(storage: string, name: string): Promise<void> {
  const ds = await readDataset([ncbi]);
  const documents = sentences ? ds.documents.slice(0, sentences) : ds.documents;
  const engine = new Engine({ storageDir: storage, log: () => undefined }, domainHandlers);
  await engine.call('model.load', { path: cache, settings: { ...defaultEngineSettings, executionProvider: 'cpu' } }, directContext());
  const result = await engine.call('train.run', { task: 'ner', documents, name, replace: true, epochs, layers, head, patience: epochs }, directContext());
  await engine.dispose();
  const report: ChildReport = { result, peakRssMiB: process.resourceUsage().maxRSS / 1024, sentences: documents.length };
  console.log(JSON.stringify(report));
}

function run(storage: string, name: string): ChildReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', storage, name, ...process.argv.slice(2)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`training run failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildReport;
}

async function main() {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) return child(process.argv[childAt + 1]!, process.argv[childAt + 2]!);
  for (const p of [ncbi, path.join(tokenizerDir, 'tokenizer.json')]) {
    if (!fs.existsSync(p)) {
      console.log(`skipped: ${p} is absent (NCBI-disease and the real ModernBERT tokenizer are needed)`);
      return;
    }
  }
  await prepareModel();
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-bench-train-'));
  try {
    const cold = run(storage, 'bench-train');
    const warm = run(storage, 'bench-train');
    const c = cold.result.metrics;
    const w = warm.result.metrics;
    const t = c.test.task === 'ner' ? c.test : undefined;
    const rows = [
      `| run | windows (cached) | tokens encoded | features s | encoder tokens/s | s per epoch | epochs | total s | peak RSS MiB |`,
      `|---|---|---|---|---|---|---|---|---|`,
      ...[['cold cache', c, cold], ['warm cache', w, warm]].map(([label, m, r]) => {
        const mm = m as typeof c;
        const tokS = mm.timings.tokens_encoded > 0 ? (mm.timings.tokens_encoded / mm.timings.features_seconds).toFixed(0) : '-';
        return `| ${label as string} | ${mm.timings.windows} (${mm.timings.windows_cached}) | ${mm.timings.tokens_encoded} | ${mm.timings.features_seconds.toFixed(1)} | ${tokS} | ${mm.timings.seconds_per_epoch.toFixed(2)} | ${mm.history.length} | ${mm.timings.total_seconds.toFixed(1)} | ${(r as ChildReport).peakRssMiB.toFixed(0)} |`;
      }),
    ];
    const summary = [
      `${cold.sentences} NCBI-disease train sentences (split 80/10/10 by sentence, seed 13): ${c.split.train} train, ${c.split.dev} dev, ${c.split.test} test; ${head} head on the last ${layers} layer${layers === 1 ? '' : 's'}, window ${c.settings.window_tokens}, batch 8, CPU, ${os.cpus().length} threads, encoder precision setting auto (int8 on the CPU).`,
      `Test entity F1 ${t ? t.f1.toFixed(3) : '-'}: meaningless, the encoder has random weights (it measures the plumbing only).`,
    ];
    console.log([...rows, '', ...summary].join('\n'));
    if (!sentences) appendBenchmark('Training a head on frozen features (bench/train.ts, real-size random BERT, CPU)', [machineLine(), '', ...rows, '', ...summary].join('\n'));
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
    fs.rmSync(path.join(cache, 'heads', 'bench-train'), { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
