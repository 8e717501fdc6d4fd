/**
 * Lexicon + assertion pass on a 2,000-token note (target <= 10 ms), the work
 * ner.tag does on every edit when no model NER runs. Prints p50/p95 and, with
 * --write, appends them to BENCHMARKS.md under "Entities".
 *
 *   node --import tsx bench/entities.ts [--write]
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { EngineError } from '../src/engine/errors';
import type { EngineHost } from '../src/engine/host';
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
    if (i % 8 === 0) parts.push(i % 16 === 0 ? '\nHPI:' : '\n\nASSESSMENT:');
    const s = SENTENCES[i % SENTENCES.length]!;
    parts.push(s);
    count += s.match(TOKEN)!.length;
  }
  return parts.join(' ');
}

const host: EngineHost = {
  settings: () => { throw new Error('unused'); },
  model: () => { throw new EngineError('not-loaded', 'none'); },
  storageDir: () => '/tmp',
  log: () => {},
};

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
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await tagger.tag({ text, version: i });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const line = `lexicon + assertion, ${tokens}-token note, ${spans} entities, ${lexicon.termCount} terms: p50 ${p(0.5).toFixed(2)} ms, p95 ${p(0.95).toFixed(2)} ms (target <= 10 ms)`;
  console.log(line);
  if (process.argv.includes('--write')) {
    let machine = cpus()[0]?.model ?? 'unknown CPU';
    try {
      machine = execSync("lscpu | grep 'Model name'", { encoding: 'utf8' }).replace(/Model name:\s*/, '').trim();
    } catch {
      // lscpu is Linux-only; the os module's name is close enough
    }
    const heading = '## Entities';
    const file = 'BENCHMARKS.md';
    if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n');
    const entry = `- ${new Date().toISOString().slice(0, 10)}, ${machine}, Node ${process.version}: ${line}\n`;
    const current = readFileSync(file, 'utf8');
    if (current.includes(heading)) {
      const at = current.indexOf(heading) + heading.length;
      const next = current.indexOf('\n## ', at);
      const end = next < 0 ? current.length : next;
      writeFileSync(file, current.slice(0, end).replace(/\n*$/, '\n') + entry + current.slice(end));
    } else appendFileSync(file, `\n${heading}\n\n${entry}`);
  }
}

void main();
