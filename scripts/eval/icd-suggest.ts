/**
 * ICD suggestions measured on real text: where a note writes a code beside the
 * words it codes ("786.2 cough", "Hypertension (401.9)", "V76.12 SCREENING
 * MAMMOGRAM"), the words are the query and the written code the answer.
 * Runs `cmb icd-suggest` (built: dist/cli.js) as a user would, words only
 * unless --model is given.
 *
 *   node --import tsx scripts/eval/icd-suggest.ts NOTES.jsonl [NOTES.jsonl...] [--model DIR] [--codesets DIR] [--pairs FILE]
 *
 * NOTES.jsonl: {"id", "text"} per line (scripts/eval/README.md). Codes are
 * found by the detector (precision 1.000 on both public sets, docs/icd-detection.md).
 * Prints top-1 / top-5 / top-10 and MRR, over all installed systems and with
 * --systems set to the written code's system (as a user who codes in one
 * system would set it). --pairs writes the query/answer pairs (mode 0600) to read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readCodeRecords } from './codeSets';
import { findCandidates, knowledgeOfRecords, resolveDetections } from '../../src/engine/icd/detect';
import type { IcdSystem } from '../../src/engine/icd/systems';

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const files: string[] = [];
let model: string | undefined;
let codesets = path.resolve(root, '..', 'shared', 'data', 'icd');
let pairsOut: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--model') model = args[++i];
  else if (a === '--codesets') codesets = args[++i]!;
  else if (a === '--pairs') pairsOut = args[++i];
  else if (a.startsWith('-')) {
    console.error(`unknown option ${a}`);
    process.exit(2);
  } else files.push(a);
}
if (!files.length) {
  console.error('usage: node --import tsx scripts/eval/icd-suggest.ts NOTES.jsonl [...] [--model DIR] [--codesets DIR] [--pairs FILE]');
  process.exit(2);
}

const records = readCodeRecords(codesets);
const known = knowledgeOfRecords(records);

interface Pair {
  note: string;
  query: string;
  system: IcdSystem;
  code: string;
}

const WORDS = /^[A-Za-z][A-Za-z'/-]*(?:\s+[A-Za-z][A-Za-z'/-]*){0,5}$/;
/** the words a code is written beside: after it ("786.2 cough"), or before it ("Hypertension (401.9)", "Obesity 278.0") */
function phraseOf(text: string, start: number, end: number): string | undefined {
  const clean = (s: string | undefined) => {
    const t = s?.trim().replace(/\s+/g, ' ');
    if (!t || /XXXX/.test(t) || t.replace(/[^A-Za-z]/g, '').length < 4 || !WORDS.test(t)) return undefined;
    return t;
  };
  const after = /^[ \t]*(?:-|:)?[ \t]*([^,;.\n()[\]]{3,60})/.exec(text.slice(end, end + 80))?.[1];
  const beforeText = text.slice(Math.max(0, start - 80), start);
  const parenthesized = /\(\s*$/.test(beforeText);
  const before = /([^,;:.\n()[\]]{3,60})[ \t]*\(?[ \t]*$/.exec(beforeText.replace(/\(\s*$/, ''))?.[1];
  if (parenthesized) return clean(before);
  // "786.2 cough" before "Cough 786.2": a code at the start of an item names what follows it
  return clean(after?.split(/\s+(?:and|with|on|in|x)\s+/i)[0]) ?? clean(before?.replace(/^.*\b(?:and|with)\s+/i, ''));
}

const pairs: Pair[] = [];
const seen = new Set<string>();
for (const file of files) {
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const note = JSON.parse(line) as { id: string | number; text: string };
    for (const d of resolveDetections(note.text, findCandidates(note.text), known)) {
      const query = phraseOf(note.text, d.start, d.end);
      if (!query) continue;
      const r = d.readings[0]!;
      const key = `${query.toLowerCase()}|${r.system}:${r.code}`;
      if (seen.has(key)) continue; // the same words and code quoted twice (the ConText kit repeats its sentences)
      seen.add(key);
      pairs.push({ note: String(note.id), query, system: r.system as IcdSystem, code: r.code });
    }
  }
}
if (pairsOut) fs.writeFileSync(pairsOut, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n', { mode: 0o600 });

interface Suggestion {
  code: string;
  system: string;
}
const SYSTEM_LABEL: Record<IcdSystem, string> = { icd10cm: 'ICD-10-CM', icd10pcs: 'ICD-10-PCS', 'icd9cm-dx': 'ICD-9-CM diagnosis', 'icd9cm-sg': 'ICD-9-CM procedure' };

function suggest(queries: Pair[], systems?: IcdSystem): Suggestion[][] {
  const argv = [path.join(root, 'dist', 'cli.js'), 'icd-suggest', '--codesets', codesets, '--k', '10', ...(systems ? ['--systems', systems] : []), ...(model ? ['--model', model] : [])];
  const r = spawnSync(process.execPath, argv, { input: queries.map((q) => JSON.stringify({ text: q.query })).join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`cmb icd-suggest failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { codes: Suggestion[] }).codes);
}

function score(label: string, results: Suggestion[][], of: Pair[]): void {
  let top1 = 0;
  let top5 = 0;
  let top10 = 0;
  let rr = 0;
  results.forEach((list, i) => {
    const p = of[i]!;
    const rank = list.findIndex((s) => s.system === SYSTEM_LABEL[p.system] && s.code.replace('.', '') === p.code) + 1;
    if (rank === 1) top1++;
    if (rank >= 1 && rank <= 5) top5++;
    if (rank >= 1) top10++;
    if (rank >= 1) rr += 1 / rank;
  });
  const n = of.length;
  const f = (x: number) => `${(x / n).toFixed(3)} (${x}/${n})`;
  console.log(`${label.padEnd(36)} top-1 ${f(top1)}  top-5 ${f(top5)}  top-10 ${f(top10)}  MRR ${(rr / n).toFixed(3)}`);
}

console.log(`${pairs.length} phrase-code pairs from ${files.map((f) => path.basename(path.dirname(f)) + '/' + path.basename(f)).join(', ')}; ${model ? `model ${model}` : 'words only'}`);
score('all installed systems', suggest(pairs), pairs);
for (const system of [...new Set(pairs.map((p) => p.system))]) {
  const of = pairs.filter((p) => p.system === system);
  score(`--systems ${system} (${of.length})`, suggest(of, system), of);
}
