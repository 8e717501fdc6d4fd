/**
 * Entities benchmarks on a 2,000-token note. Prints p50/p95 and, with --write,
 * appends them to BENCHMARKS.md under "Entities".
 *
 * 1. Lexicon + assertion pass (target <= 10 ms): the work ner.tag does on
 *    every edit besides the model.
 * 2. With --model DIR (a token-classification checkpoint; random heads are
 *    fine: the bench passes allowDemo): time to first full highlighting of
 *    the note, and the cost of an edit that touches one block relative to one
 *    window's inference (target <= 1.3x). Needs the engine's model loader.
 *
 *   node --import tsx bench/entities.ts [--write] [--model DIR]
 */
import { join } from 'node:path';
import { appendBenchmarkLines } from './report';
import { EngineError } from '../src/engine/errors';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import type { EngineHost, LoadedModel } from '../src/engine/host';
import { EntityTagger } from '../src/engine/tasks/entityTagger';
import { Lexicon } from '../src/engine/tasks/lexicon';

const SENTENCES = [
  'Patient denies chest pain, shortness of breath, or palpitations.',
  'Possible pneumonia in the right lower lobe; started ceftriaxone and azithromycin.',
  'History of hypertension, diabetes mellitus, and chronic kidney disease.',
  'Family history: mother with breast cancer, father with coronary artery disease.',
  'Troponin negative x2; ECG without acute ST changes.',
  'Return if fever or worsening cough develops.',
  'No evidence of pulmonary embolism on CT angiography.',
  'Continue metoprolol and aspirin; hold lisinopril for acute kidney injury.',
  'r/o MI; serial troponins and telemetry overnight.',
  'Abdomen soft, non-tender, no rebound or guarding.',
  'Status post appendectomy in 2009, no complications.',
  'Chest x-ray shows no pleural effusion but mild cardiomegaly.',
];
const TERMS: Record<string, string[]> = {
  problem: ['chest pain', 'shortness of breath', 'palpitations', 'pneumonia', 'hypertension', 'diabetes mellitus', 'chronic kidney disease', 'breast cancer', 'coronary artery disease', 'fever', 'cough', 'pulmonary embolism', 'acute kidney injury', 'MI', 'pleural effusion', 'cardiomegaly', 'rebound', 'guarding'],
  test: ['troponin', 'troponins', 'ecg', 'ct angiography', 'chest x-ray', 'telemetry'],
  treatment: ['ceftriaxone', 'azithromycin', 'metoprolol', 'aspirin', 'lisinopril', 'appendectomy'],
};

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

function note(tokens: number): string {
  const parts: string[] = [];
  let count = 0;
  for (let i = 0; count < tokens; i++) {
    // paragraphs of six sentences (~80 tokens), each one window of a 128-token model
    if (i % 6 === 0) parts.push(i === 0 ? 'HPI:' : i % 12 === 0 ? '\n\nHPI:' : '\n\nASSESSMENT:');
    const s = SENTENCES[i % SENTENCES.length]!;
    parts.push(s);
    count += s.match(TOKEN)!.length;
  }
  return parts.join(' ');
}

const host: EngineHost = {
  settings: () => defaultEngineSettings,
  model: () => { throw new EngineError('not-loaded', 'none'); },
  storageDir: () => '/tmp',
  log: () => {},
};

function percentiles(times: number[]): { p50: number; p95: number } {
  const t = [...times].sort((a, b) => a - b);
  const at = (q: number) => t[Math.min(t.length - 1, Math.floor(q * t.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/** The engine's loader, imported by path so this script type-checks before the engine lands. */
async function loadModelFolder(dir: string): Promise<LoadedModel> {
  const modulePath = join(__dirname, '../src/engine/model/loadModel');
  const mod = (await import(modulePath)) as { loadModel(dir: string, settings: typeof defaultEngineSettings): Promise<LoadedModel> };
  return mod.loadModel(dir, { ...defaultEngineSettings, executionProvider: 'cpu', windowTokens: 128, windowStride: 32 });
}

async function modelBench(dir: string, text: string): Promise<string[]> {
  const model = await loadModelFolder(dir);
  const modelHost: EngineHost = { ...host, model: () => model };
  const lines: string[] = [];
  const firstTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await new EntityTagger(modelHost).tag({ text, document: 'bench', allowDemo: true });
    firstTimes.push(performance.now() - t0);
  }
  const first = percentiles(firstTimes);
  lines.push(`time to first full highlighting (model, cold cache, ${model.info.name}, CPU): p50 ${first.p50.toFixed(1)} ms, p95 ${first.p95.toFixed(1)} ms`);
  const blocks = text.split('\n\n');
  const one = model.windows(blocks[1]! + ' a')[0]!;
  const windowTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await model.run([one.ids], ['logits']);
    windowTimes.push(performance.now() - t0);
  }
  const tagger = new EntityTagger(modelHost);
  await tagger.tag({ text, document: 'edit', allowDemo: true });
  const editTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    // type one character into the second block (a different letter each time, so the
    // block's length stays that of the window timed above): that block runs again,
    // the rest come from the cache
    const edited = [blocks[0], blocks[1] + ' ' + String.fromCharCode(97 + i), ...blocks.slice(2)].join('\n\n');
    const t0 = performance.now();
    const r = await tagger.tag({ text: edited, document: 'edit', allowDemo: true });
    editTimes.push(performance.now() - t0);
    if (r.blocksRun !== 1) throw new Error(`expected one block to run, ${r.blocksRun} did`);
  }
  const w = percentiles(windowTimes);
  const e = percentiles(editTimes);
  lines.push(`edit touching one block: p50 ${e.p50.toFixed(1)} ms vs one window's inference p50 ${w.p50.toFixed(1)} ms (${one.ids.length} tokens): ${(e.p50 / w.p50).toFixed(2)}x (target <= 1.3x)`);
  await (model as { dispose?: () => Promise<void> }).dispose?.();
  return lines;
}

async function main(): Promise<void> {
  const text = note(2000);
  const tokens = text.match(TOKEN)!.length;
  // the clinical terms plus 20k filler terms, so the automaton is realistically large
  const filler = Array.from({ length: 20_000 }, (_, i) => `condition ${i.toString(36)} syndrome`);
  const lexicon = new Lexicon([...Object.entries(TERMS).map(([type, terms]) => ({ type, terms: type === 'problem' ? [...terms, ...filler] : terms }))]);
  const tagger = new EntityTagger(host);
  tagger.setLexicon(lexicon);
  let spans = 0;
  for (let i = 0; i < 30; i++) spans = (await tagger.tag({ text })).spans.length; // warm up
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await tagger.tag({ text, version: i });
    times.push(performance.now() - t0);
  }
  const { p50, p95 } = percentiles(times);
  const line = `lexicon + assertion, ${tokens}-token note, ${spans} entities, ${lexicon.termCount} terms: p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms (target <= 10 ms)`;
  console.log(line);
  const lines = [line];
  const buildTimes: number[] = [];
  let built = 0;
  for (let i = 0; i < 3; i++) {
    const terms = Array.from({ length: 100_000 }, (_, k) => `${k.toString(36)} ${TERMS.problem![k % TERMS.problem!.length]} variant ${i}`);
    const t0 = performance.now();
    built = new Lexicon([{ type: 'problem', terms }]).termCount;
    buildTimes.push(performance.now() - t0);
  }
  const build = `lexicon build, ${built} terms: median ${percentiles(buildTimes).p50.toFixed(0)} ms`;
  console.log(build);
  lines.push(build);
  const modelAt = process.argv.indexOf('--model');
  if (modelAt > 0) {
    for (const l of await modelBench(process.argv[modelAt + 1]!, text)) {
      console.log(l);
      lines.push(l);
    }
  }
  if (process.argv.includes('--write')) appendBenchmarkLines('Entities', lines);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
