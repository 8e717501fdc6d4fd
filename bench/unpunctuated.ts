/**
 * Text without sentence ends or line breaks (dictation, pasted tables): each
 * rule-based pass timed on 1 MB and 10 MB of it (issue 15 item 8; target
 * >= 5 MB/s per pass). Every pass runs in its own process under a time cap,
 * so a pass that is still quadratic is reported as "over the cap" instead of
 * stalling the run; each pass runs twice on 500 kB first (warm-up). Wall and
 * CPU seconds are both reported: on a shared machine CPU time varies less.
 *
 * Passes: lexicon NER (Lexicon.match), assertion (one AssertionContext, every
 * lexicon span asserted), ner.tag (what `cmb ner --lexicon` runs per note:
 * both, merged), ICD detection (findCandidates + resolveDetections, no code
 * sets installed, so no store lookups are timed).
 *
 *   node --import tsx bench/unpunctuated.ts [--sizes 1,10] [--cap SECONDS] [--write]
 *
 * --write appends a section to BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { findCandidates, resolveDetections, type CodeKnowledge } from '../src/engine/icd/detect';
import { EngineError } from '../src/engine/errors';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { AssertionContext } from '../src/engine/tasks/assertion';
import { EntityTagger } from '../src/engine/tasks/entityTagger';
import { Lexicon } from '../src/engine/tasks/lexicon';
import { appendBenchmark, machineLine } from './report';

const PASSES = ['lexicon', 'assertion', 'ner.tag', 'icd'] as const;
type Pass = (typeof PASSES)[number];

const TERMS: Record<string, string[]> = {
  problem: ['chest pain', 'shortness of breath', 'palpitations', 'pneumonia', 'hypertension', 'diabetes mellitus', 'fever', 'cough', 'edema', 'syncope', 'breast cancer', 'pulmonary embolism', 'acute kidney injury', 'nausea', 'rash'],
  test: ['troponin', 'ecg', 'chest x-ray', 'ct angiography', 'bmp'],
  treatment: ['aspirin', 'metoprolol', 'lisinopril', 'ceftriaxone', 'appendectomy'],
};

/** dictation-like phrases and table rows: triggers, terms, numbers and codes, but no . ! ? ; : or line break */
const PHRASES = [
  'patient denies chest pain shortness of breath or palpitations',
  'possible pneumonia right lower lobe started ceftriaxone',
  'history of hypertension diabetes mellitus on lisinopril and metoprolol',
  'mother with breast cancer father with MI at 60',
  'troponin negative x2 ecg without acute changes',
  'return if fever or cough develops call your doctor for syncope',
  'no evidence of pulmonary embolism on ct angiography',
  'hold lisinopril for acute kidney injury recheck bmp in 2 days',
  'status post appendectomy in 2009 no complications',
  'BP 142/88 HR 104 T 100.4 weight 98.5 kg Na 138 K 5.1',
  'dx E11.65 and I10 hx 250.00 and 401.9',
  'no nausea no rash, no edema, afebrile',
  'a 45-year-old woman with fever for two days',
  // pasted from a table: wide gaps between cells
  'Na      138      K      5.1      Cr      1.2      troponin      negative',
];

/** Deterministic text of `bytes` characters: words, commas and spaces only. */
export function unpunctuatedText(bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    // now and then a blank stretch of a scanned form: a long run of spaces
    const p = i % 500 === 499 ? ' '.repeat(4000) : PHRASES[(i * 7 + (i >> 3)) % PHRASES.length]!;
    parts.push(p);
    length += p.length + 1;
  }
  return parts.join(' ').slice(0, bytes);
}

const lexicon = () => new Lexicon(Object.entries(TERMS).map(([type, terms]) => ({ type, terms })));

const noCodeSets: CodeKnowledge = { installed: new Set(), systemsOf: () => [], billable: () => false };

/** Seconds one pass takes on `text` (setup not counted) and how many things it found. */
type Timing = { seconds: number; cpuSeconds: number; found: number };

/** Wall and CPU seconds of `run` (CPU: this process, all threads, so garbage collection counts; on a shared machine it varies less than wall time). */
async function timed(run: () => number | Promise<number>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const found = await run();
  const cpu = process.cpuUsage(cpu0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, found };
}

/** One pass on `text`; setup (the lexicon, the spans to assert) is not timed. */
function timePass(pass: Pass, text: string): Promise<Timing> {
  const lex = lexicon();
  if (pass === 'lexicon') return timed(() => lex.match(text).length);
  if (pass === 'assertion') {
    const spans = lex.match(text);
    return timed(() => {
      const ctx = new AssertionContext(text);
      let found = 0;
      for (const s of spans) {
        const a = ctx.assert(s.start, s.end);
        if (a.negated || a.historical || a.hypothetical || a.uncertain || a.experiencer === 'other') found++;
      }
      return found;
    });
  }
  if (pass === 'ner.tag') {
    const tagger = new EntityTagger({
      settings: () => defaultEngineSettings,
      model: () => {
        throw new EngineError('not-loaded', 'no model');
      },
      storageDir: () => '/tmp',
      log: () => {},
    });
    tagger.setLexicon(lex);
    return timed(async () => (await tagger.tag({ text, useModel: false })).spans.length);
  }
  return timed(() => resolveDetections(text, findCandidates(text), noCodeSets).length);
}

async function child(pass: Pass, mb: number): Promise<void> {
  const text = unpunctuatedText(Math.round(mb * 1_000_000));
  // two warm-ups on 500 kB, so the figure is the optimised code's, as in an editor that tags on every edit
  for (let i = 0; i < 2; i++) await timePass(pass, text.slice(0, 500_000));
  process.stdout.write(JSON.stringify(await timePass(pass, text)));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childAt = args.indexOf('--child');
  if (childAt >= 0) return child(args[childAt + 1] as Pass, Number(args[childAt + 2]));
  const opt = (name: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
  const sizes = (opt('sizes') ?? '1,10').split(',').map(Number);
  const cap = Number(opt('cap') ?? '60');
  const rows: string[] = [];
  for (const mb of sizes) {
    for (const pass of PASSES) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', pass, String(mb)], { encoding: 'utf8', timeout: cap * 1000, maxBuffer: 1 << 20 });
      let cell: string;
      if (r.error || r.status !== 0) cell = r.signal === 'SIGTERM' || (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' ? `over the ${cap} s cap` : `failed (${(r.stderr || String(r.error)).split('\n')[0]})`;
      else {
        const { seconds, found, cpuSeconds } = JSON.parse(r.stdout) as { seconds: number; found: number; cpuSeconds: number };
        cell = `${seconds.toFixed(2)} s, ${(mb / seconds).toFixed(1)} MB/s wall; ${cpuSeconds.toFixed(2)} CPU s, ${(mb / cpuSeconds).toFixed(1)} MB/s per CPU second (${found} found)`;
      }
      const row = `| ${mb} MB | ${pass} | ${cell} |`;
      console.log(row);
      rows.push(row);
    }
  }
  if (args.includes('--write')) {
    appendBenchmark('Unpunctuated text (bench/unpunctuated.ts)', `${machineLine()}\n\nOne line of words and commas, no sentence end or line break; each pass in its own process, capped at ${cap} s. Target: >= 5 MB/s per pass.\n\n| input | pass | time, throughput |\n|---|---|---|\n${rows.join('\n')}`);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
