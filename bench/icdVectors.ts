/**
 * ICD code embeddings, suggestions and the map, on the official files in
 * ../shared/data/icd:
 *
 * 1. Embedding a code set with the real-size checkpoint (random weights, the
 *    released Clinical ModernBERT's BERT sizes) on the CPU: a sample of
 *    ICD-10-CM codes is embedded with the pretraining template, and the time
 *    per code is extrapolated to each whole system. Peak memory (RSS) and the
 *    size of the vectors file are reported.
 * 2. Suggestion latency p50/p95: the real-size encoder embeds each phrase;
 *    the vector side scans every ICD-10-CM code (random unit vectors stand in
 *    for the hours of embedding; scanning costs the same), fused with the
 *    words.
 * 3. Projection time for 15,000 ICD-9-CM codes (every diagnosis code and the
 *    first procedure codes) with clustered 768-dimensional vectors (a centre
 *    per chapter plus noise, as embeddings cluster by chapter).
 *
 *   node --import tsx bench/icdVectors.ts [--sample N] [--queries N] [--points N] [--skip-embed] [--write]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { installFromFolder, openActiveStore } from '../src/engine/icd/install';
import { codeText, DEFAULT_CODE_TEMPLATE } from '../src/engine/icd/codeTemplate';
import { CodeVectorStore, textHash } from '../src/engine/icd/codeVectors';
import { chapterOf } from '../src/engine/icd/chapters';
import { projectVectors } from '../src/engine/icd/projection';
import { suggestCodes } from '../src/engine/icd/suggest';
import { SYSTEM_NAMES, type IcdSystem } from '../src/engine/icd/systems';
import { loadModel } from '../src/engine/model/loadModel';
import { makeTestModel } from '../src/engine/model/testModel';
import { embedTexts } from '../src/engine/tasks/embed';
import { disableOnnxRuntimeTelemetry } from '../src/engine/model/telemetryOff';
import { appendBenchmark, machineLine } from './report';

const root = path.resolve(__dirname, '..');
const OFFICIAL = path.resolve(root, '..', 'shared', 'data', 'icd');
const TOKENIZER = path.resolve(root, '..', 'shared', 'data', 'tokenizers', 'modernbert');
const cache = path.join(root, 'bench', '.cache', 'real-bert');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
function hours(s: number): string {
  return s < 5400 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
}
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}
function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

const PHRASES = [
  'type 2 diabetes mellitus with hyperglycemia',
  'acute on chronic systolic heart failure',
  'community acquired pneumonia',
  'closed fracture of the right femoral neck',
  'essential hypertension',
  'major depressive disorder, recurrent, moderate',
  'chronic kidney disease stage 3',
  'atrial fibrillation on anticoagulation',
  'COPD exacerbation',
  'sepsis due to E. coli urinary tract infection',
];

async function main(): Promise<void> {
  if (!fs.existsSync(OFFICIAL) || !fs.existsSync(path.join(TOKENIZER, 'tokenizer.json'))) {
    console.log(`skipped: needs ${OFFICIAL} and the ModernBERT tokenizer in ${TOKENIZER}`);
    return;
  }
  disableOnnxRuntimeTelemetry();
  const sampleN = flag('sample', 2000);
  const queries = flag('queries', 50);
  const pointsN = flag('points', 15000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-icdvec-bench-'));
  const lines: string[] = [];
  const say = (l: string) => {
    console.log(l);
    lines.push(l);
  };
  const timer = setInterval(sampleRss, 200);
  try {
    // code sets: ICD-10-CM, ICD-10-PCS and ICD-9-CM, as the extension installs them
    const folder = path.join(tmp, 'release');
    fs.mkdirSync(folder);
    for (const f of ['icd10cm/icd10cm-order-Jan-2021.txt', 'icd10pcs/icd10pcs_codes_2023.txt', 'icd9cm/CMS32_DESC_LONG_DX.txt', 'icd9cm/CMS32_DESC_LONG_SG.txt', 'icd9cm/CMS32_DESC_SHORT_DX.txt', 'icd9cm/CMS32_DESC_SHORT_SG.txt']) {
      fs.copyFileSync(path.join(OFFICIAL, f), path.join(folder, path.basename(f)));
    }
    await installFromFolder(tmp, folder);
    const store = (await openActiveStore(tmp))!;
    const cm = await store.records('icd10cm');

    // 1. embedding with the real-size checkpoint
    let secondsPerCode = 0;
    let model: Awaited<ReturnType<typeof loadModel>> | undefined;
    if (!process.argv.includes('--skip-embed')) {
      if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
        console.log('generating the real-size random checkpoint (once, into bench/.cache)...');
        makeTestModel({ arch: 'bert', out: cache, sizes: 'real' });
      }
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(TOKENIZER, f), path.join(cache, f));
      const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const, batchSize: 32 };
      const rssBefore = process.memoryUsage().rss;
      model = await loadModel(cache, settings);
      const rssModel = process.memoryUsage().rss;
      const r = rng(7);
      const sample = Array.from({ length: sampleN }, () => cm[Math.floor(r() * cm.length)]!);
      const texts = sample.map((c) => codeText(DEFAULT_CODE_TEMPLATE, c));
      const tokens = texts.map((t) => model!.tokenizer.encode(t, { addSpecialTokens: false }).ids.length);
      const vs = (await CodeVectorStore.open(path.join(tmp, 'vectors.sqlite'), { key: 'bench', modelName: 'real-bert', modelPath: cache, dims: model.info.hidden, demo: true }))!;
      peakRss = 0;
      const t0 = performance.now();
      for (let i = 0; i < texts.length; i += 64) {
        const batch = texts.slice(i, i + 64);
        const { embeddings } = await embedTexts(model, batch, 'mean');
        await vs.put(batch.map((t, j) => ({ system: 'icd10cm', code: sample[i + j]!.code + ':' + (i + j), hash: textHash(t), vector: embeddings[j]! })));
        sampleRss();
      }
      const seconds = (performance.now() - t0) / 1000;
      secondsPerCode = seconds / texts.length;
      await vs.close();
      const fileBytes = fs.statSync(path.join(tmp, 'vectors.sqlite')).size + (fs.existsSync(path.join(tmp, 'vectors.sqlite-wal')) ? fs.statSync(path.join(tmp, 'vectors.sqlite-wal')).size : 0);
      say(`### Embedding codes with the real-size checkpoint (BERT sizes of the released model, random weights), CPU, ${os.cpus().length} threads, ${model.info.precision ?? 'fp32'} (precision setting ${settings.precision ?? 'auto'})`);
      say('');
      say(`Sample: ${texts.length.toLocaleString('en-US')} ICD-10-CM codes drawn at random, template "${DEFAULT_CODE_TEMPLATE}", mean ${(tokens.reduce((a, b) => a + b, 0) / tokens.length).toFixed(1)} tokens per code (max ${Math.max(...tokens)}), batches of 32 windows.`);
      say('');
      say('| measure | value |');
      say('|---|---|');
      say(`| sample time | ${seconds.toFixed(1)} s (${(texts.length / seconds).toFixed(1)} codes/s, ${(secondsPerCode * 1000).toFixed(1)} ms per code) |`);
      say(`| peak RSS while embedding | ${mib(peakRss)} (model loaded: ${mib(rssModel - rssBefore)} over the process before it) |`);
      say(`| vectors file | ${mib(fileBytes)} for ${texts.length} codes (${((fileBytes / texts.length) / 1024).toFixed(1)} KiB per code) |`);
      for (const system of ['icd10cm', 'icd10pcs', 'icd9cm-dx', 'icd9cm-sg'] as IcdSystem[]) {
        const n = store.meta.counts[system]?.codes ?? 0;
        const b = store.meta.counts[system]?.billable ?? 0;
        say(`| ${SYSTEM_NAMES[system]}, all ${n.toLocaleString('en-US')} codes (extrapolated) | ${hours(n * secondsPerCode)}; billable ${b.toLocaleString('en-US')}: ${hours(b * secondsPerCode)}; file ~${mib((fileBytes / texts.length) * n)} |`);
      }
      say('');
    }

    // 2. suggestion latency: every ICD-10-CM code has a vector (random unit vectors), the encoder embeds each phrase
    {
      const dims = 768;
      const vs = (await CodeVectorStore.open(path.join(tmp, 'all-cm.sqlite'), { key: 'bench-all', modelName: 'random', modelPath: '', dims, demo: false }))!;
      const r = rng(11);
      for (let i = 0; i < cm.length; i += 2000) {
        await vs.put(cm.slice(i, i + 2000).map((c) => ({ system: 'icd10cm', code: c.code, hash: 'x', vector: unit(Float32Array.from({ length: dims }, () => gaussian(r))) })));
      }
      const embed = async (text: string): Promise<Float32Array> => (model ? (await embedTexts(model, [text], 'mean')).embeddings[0]! : unit(Float32Array.from({ length: dims }, () => gaussian(r))));
      const encoder = { nearest: async (text: string, k: number, systems: readonly IcdSystem[]) => vs.nearest(await embed(text), k, systems) };
      await suggestCodes(store, { text: PHRASES[0]!, systems: ['icd10cm'] }, encoder, { embedded: { codes: cm.length, total: cm.length } }); // loads the int8 index
      const both: number[] = [];
      const words: number[] = [];
      for (let i = 0; i < queries; i++) {
        const text = PHRASES[i % PHRASES.length]!;
        let t = performance.now();
        await suggestCodes(store, { text, systems: ['icd10cm'], k: 10 }, encoder, { embedded: { codes: cm.length, total: cm.length } });
        both.push(performance.now() - t);
        t = performance.now();
        await suggestCodes(store, { text, systems: ['icd10cm'], k: 10 }, undefined, { embedded: { codes: 0, total: cm.length } });
        words.push(performance.now() - t);
      }
      await vs.close();
      say(`### Suggestion latency (${queries} phrases, ${cm.length.toLocaleString('en-US')} ICD-10-CM codes with vectors${model ? ', the real-size encoder embeds each phrase' : ', phrase vectors random (--skip-embed)'})`);
      say('');
      say('| ranking | p50 | p95 |');
      say('|---|---|---|');
      say(`| encoder + words (RRF) | ${pct(both, 50).toFixed(1)} ms | ${pct(both, 95).toFixed(1)} ms |`);
      say(`| words only | ${pct(words, 50).toFixed(1)} ms | ${pct(words, 95).toFixed(1)} ms |`);
      say('');
    }
    await model?.dispose();

    // 3. projection of 15,000 ICD-9-CM codes
    {
      const codes = [...(await store.records('icd9cm-dx')), ...(await store.records('icd9cm-sg'))].slice(0, pointsN);
      const dims = 768;
      const r = rng(5);
      const centres = new Map<string, Float32Array>();
      const vectors = codes.map((c) => {
        const key = `${c.system}:${chapterOf(c.system, c.code)?.id ?? '?'}`;
        let centre = centres.get(key);
        if (!centre) centres.set(key, (centre = unit(Float32Array.from({ length: dims }, () => gaussian(r)))));
        return unit(Float32Array.from(centre, (x) => x + 0.04 * gaussian(r)));
      });
      peakRss = 0;
      const rssBefore = process.memoryUsage().rss;
      let firstPhase = 0;
      const t0 = performance.now();
      const xy = await projectVectors(vectors, {}, { progress: (f) => {
        sampleRss();
        if (f > 0 && !firstPhase) firstPhase = performance.now() - t0;
      } });
      const seconds = (performance.now() - t0) / 1000;
      say(`### Projection to 2D (UMAP, umap-js 1.4.0), ${codes.length.toLocaleString('en-US')} ICD-9-CM codes, ${dims} dimensions, ${centres.size} chapter clusters`);
      say('');
      say(`| measure | value |`);
      say('|---|---|');
      say(`| total | ${seconds.toFixed(1)} s (neighbour graph ${(firstPhase / 1000).toFixed(1)} s, layout ${(seconds - firstPhase / 1000).toFixed(1)} s) |`);
      say(`| peak RSS | ${mib(peakRss)} (${mib(Math.max(0, peakRss - rssBefore))} over the process before it) |`);
      say(`| output finite | ${[...xy].every(Number.isFinite)} |`);
      say('');
    }
    await store.close();
  } finally {
    clearInterval(timer);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (process.argv.includes('--write')) appendBenchmark('ICD code embeddings, suggestions and the map (bench/icdVectors.ts)', [machineLine(), '', ...lines].join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
