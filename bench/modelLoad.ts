/**
 * What the load-time checks cost on a real-size checkpoint (the released
 * Clinical ModernBERT's sizes in a BERT graph, random weights, ~600 MB):
 * - the converter's scan for NaN / infinite weights, against the whole
 *   conversion it is part of;
 * - the probe input run at every load (probe.ts), against the whole load of
 *   an already converted model.
 * Both should be small next to what they guard.
 *
 * The model is generated once into bench/.cache (shared with bench/encoder.ts
 * and bench/heads.ts, ignored by git); the conversion goes to a temporary cache.
 * Usage: node --import tsx bench/modelLoad.ts [--quick]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { makeTestModel } from '../src/engine/model/testModel';
import { loadModel } from '../src/engine/model/loadModel';
import { inspectModelFolder } from '../src/engine/model/folder';
import { ensureOnnx } from '../src/engine/model/convert/convert';
import { readSafetensors, tensorAsFloat32 } from '../src/engine/model/safetensors';
import { firstNonFinite } from '../src/engine/model/convert/checkpointWeights';
import { createSession } from '../src/engine/model/session';
import { probeSession } from '../src/engine/model/probe';
import { loadTokenizerFromFolder } from '../src/engine/text/loadTokenizer';
import { writeTestTokenizerFiles } from '../src/engine/text/testTokenizer';
import { appendBenchmark, machineLine } from './report';

const quick = process.argv.includes('--quick');
const cache = path.resolve(__dirname, '.cache', 'real-bert');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** the converter's check, alone: every float of every tensor, as CheckpointWeights.get reads them */
function scanAllWeights(): { ms: number; floats: number } {
  const f = readSafetensors(path.join(cache, 'model.safetensors'));
  const t0 = performance.now();
  let floats = 0;
  let bad = 0;
  for (const name of f.tensors.keys()) {
    const data = tensorAsFloat32(f, name);
    floats += data.length;
    if (firstNonFinite(data) >= 0) bad++;
  }
  if (bad) throw new Error('the benchmark checkpoint has non-finite weights');
  return { ms: performance.now() - t0, floats };
}

async function main() {
  if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
    console.log('generating the real-size random checkpoint (once)...');
    makeTestModel({ arch: 'bert', out: cache, sizes: 'real' });
  }
  if (!fs.existsSync(path.join(cache, 'tokenizer.json'))) writeTestTokenizerFiles(cache);
  const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };
  const rounds = quick ? 3 : 7;

  const scans = Array.from({ length: rounds }, () => scanAllWeights());
  const scanMs = median(scans.map((s) => s.ms));

  // one full conversion (weights read, checked, graph built, file written) into a throw-away cache
  const convertDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-bench-convert-'));
  const folder = inspectModelFolder(cache, { acceptVocabTxt: true });
  const t0 = performance.now();
  ensureOnnx(folder, { cacheDir: convertDir, force: true });
  const convertMs = performance.now() - t0;

  // loads of the converted model, each with its probe; and the probe alone on an open session
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    const m = await loadModel(cache, { ...settings, cacheDir: convertDir });
    loads.push(performance.now() - t);
    await m.dispose();
  }
  const { onnxPath } = ensureOnnx(folder, { cacheDir: convertDir });
  const { session } = await createSession(onnxPath, { provider: 'cpu', threads: 0 });
  const tokenizer = loadTokenizerFromFolder(cache);
  const limits = { vocabSize: folder.config.vocabSize, maxPositions: folder.config.maxPositionEmbeddings, inputNames: session.inputNames };
  await probeSession(session, onnxPath, folder.config, tokenizer, limits); // warm-up
  const probes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await probeSession(session, onnxPath, folder.config, tokenizer, limits);
    probes.push(performance.now() - t);
  }
  await session.release();
  fs.rmSync(convertDir, { recursive: true, force: true });

  const floats = scans[0]!.floats;
  const lines = [
    `| check | time | what it guards | share |`,
    `|---|---|---|---|`,
    `| NaN / infinity scan of ${(floats / 1e6).toFixed(0)}M weights (median of ${rounds}) | ${scanMs.toFixed(0)} ms | conversion ${(convertMs / 1000).toFixed(1)} s (one run) | ${((100 * scanMs) / convertMs).toFixed(1)}% |`,
    `| probe input at load (median of ${rounds}) | ${median(probes).toFixed(1)} ms | load of the converted model ${median(loads).toFixed(0)} ms (median of ${rounds}) | ${((100 * median(probes)) / median(loads)).toFixed(1)}% |`,
  ];
  const body = `${machineLine()}\n\n${lines.join('\n')}`;
  console.log(body);
  if (!quick) appendBenchmark('Model load checks (bench/modelLoad.ts)', body);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
