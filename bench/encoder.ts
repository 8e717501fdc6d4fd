/**
 * Encoder throughput on CPU for a real-size random checkpoint with the released
 * Clinical ModernBERT's sizes (model_type bert, 22 layers, hidden 768,
 * intermediate 1152, 12 heads), on a mix of note lengths:
 *   - onnxruntime-node through this engine, batches sorted by length (bucketed)
 *   - the same, batches in input order (unbucketed)
 *   - @huggingface/transformers feature-extraction on the same ONNX file and inputs
 * and the achieved GFLOP/s against a measured MatMul peak on this machine.
 *
 * Needs ../shared/data/tokenizers/modernbert (the real tokenizer). The model is
 * generated and converted once into bench/.cache (ignored by git).
 * Usage: node --import tsx bench/encoder.ts [--quick]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import '../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { makeTestModel } from '../src/engine/model/testModel';
import { inspectModelFolder } from '../src/engine/model/folder';
import { ensureOnnx } from '../src/engine/model/convert/convert';
import { loadTokenizerFromFolder } from '../src/engine/text/loadTokenizer';
import { runWindows } from '../src/engine/model/runner';
import { encoderFlops, matmulPeakGflops } from './matmulPeak';
import { benchPassages } from './passages';
import { appendBenchmark, machineLine } from './report';

const quick = process.argv.includes('--quick');
const root = path.resolve(__dirname, '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'tokenizers', 'modernbert');
const cache = path.join(root, 'bench', '.cache', 'real-bert');

async function prepareModel(): Promise<string> {
  if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
    console.log('generating the real-size random checkpoint (once)...');
    makeTestModel({ arch: 'bert', out: cache, sizes: 'real' });
  }
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(shared, f), path.join(cache, f));
  const folder = await inspectModelFolder(cache);
  const { onnxPath } = await ensureOnnx(folder, { cacheDir: '' });
  return onnxPath;
}

async function main() {
  if (!fs.existsSync(path.join(shared, 'tokenizer.json'))) {
    console.log(`skipped: ${shared} is absent (the real ModernBERT tokenizer is needed)`);
    return;
  }
  const onnxPath = await prepareModel();
  const tokenizer = await loadTokenizerFromFolder(cache);
  const passages = benchPassages(quick ? 16 : 48);
  const windows = passages.map((p) => tokenizer.encode(p).ids);
  const tokens = windows.reduce((s, w) => s + w.length, 0);
  const threads = os.cpus().length;
  console.log(`${passages.length} passages, ${tokens} tokens (max ${Math.max(...windows.map((w) => w.length))}), batch 8, ${threads} threads`);

  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads });
  const limits = { vocabSize: 50368, maxPositions: 8192, inputNames: session.inputNames };
  const timeRun = async (bucketed: boolean) => {
    const t0 = performance.now();
    await runWindows(session, windows, ['last_hidden_state'], { batchSize: 8, padId: tokenizer.padId, limits, bucketed });
    return (performance.now() - t0) / 1000;
  };
  await timeRun(true); // warm-up
  const bucketedS = await timeRun(true);
  const unbucketedS = await timeRun(false);
  await session.release();

  // transformers.js on the same ONNX file, same texts, same batch size
  const tj = await import('@huggingface/transformers');
  tj.env.allowRemoteModels = false;
  tj.env.localModelPath = path.dirname(cache);
  const extractor = await tj.pipeline('feature-extraction', path.basename(cache), { dtype: 'fp32', device: 'cpu', session_options: { intraOpNumThreads: threads } } as never);
  const tjRun = async () => {
    const t0 = performance.now();
    for (let i = 0; i < passages.length; i += 8) await extractor(passages.slice(i, i + 8), { pooling: 'mean', normalize: true });
    return (performance.now() - t0) / 1000;
  };
  await tjRun();
  const tjS = await tjRun();
  await extractor.dispose();

  const flops = windows.reduce((s, w) => s + encoderFlops(w.length, 22, 768, 1152), 0);
  const peak = await matmulPeakGflops(threads);
  const rows = [
    ['engine, length-bucketed batches', tokens / bucketedS, flops / bucketedS / 1e9],
    ['engine, batches in input order', tokens / unbucketedS, flops / unbucketedS / 1e9],
    ['@huggingface/transformers 4.3.1 feature-extraction', tokens / tjS, flops / tjS / 1e9],
  ] as const;
  const table = [
    '| pipeline | tokens/s | GFLOP/s (useful) |',
    '|---|---|---|',
    ...rows.map(([n, t, g]) => `| ${n} | ${t.toFixed(0)} | ${g.toFixed(1)} |`),
  ];
  const summary = [
    `${passages.length} passages, ${tokens} tokens, batch 8, ${threads} threads, fp32, CPU execution provider.`,
    `Bucketed vs transformers.js: ${(bucketedS ? tjS / bucketedS : 0).toFixed(2)}x (target >= 1.3x). Measured MatMul peak: ${peak.toFixed(1)} GFLOP/s; bucketed run achieves ${((flops / bucketedS / 1e9 / peak) * 100).toFixed(0)}% of it.`,
  ];
  console.log([...table, ...summary].join('\n'));
  if (!quick) appendBenchmark('Encoder throughput (real-size random BERT, CPU)', [machineLine(), '', ...table, '', ...summary].join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
