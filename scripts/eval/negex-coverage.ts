/**
 * Which triggers of the published NegEx list the assertion rules miss: each
 * trigger is put in a template sentence with a finding ("The patient TRIGGER
 * pneumonia today." for pre-finding triggers, "The pneumonia TRIGGER." for
 * post-finding ones) and asserted; a negation trigger ([PREN]/[POST]) should
 * negate it, a possible one ([PREP]/[POSP]) make it uncertain.
 *
 *   node --import tsx scripts/eval/negex-coverage.ts negex_triggers.txt
 *
 * negex_triggers.txt: `negex.python/negex_triggers.txt` of chapmanbe/negex
 * (Apache License 2.0), kept outside this repository.
 */
import * as fs from 'node:fs';
import { assertSpans } from '../../src/engine/tasks/assertion';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx scripts/eval/negex-coverage.ts negex_triggers.txt');
  process.exit(2);
}
const finding = 'pneumonia';
const missed: string[] = [];
let tried = 0;
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  const [trigger, tag] = line.split(/\t+/).map((x) => x.trim());
  if (!trigger || !tag || !['[PREN]', '[PREP]', '[POST]', '[POSP]'].includes(tag)) continue;
  tried++;
  const before = tag === '[PREN]' || tag === '[PREP]';
  const text = before ? `The patient ${trigger} ${finding} today.` : `The ${finding} ${trigger}.`;
  const start = text.indexOf(finding);
  const a = assertSpans(text, [{ start, end: start + finding.length }])[0]!;
  const want = tag === '[PREN]' || tag === '[POST]' ? 'negated' : 'uncertain';
  if (!a[want]) missed.push(`${tag} "${trigger}": ${a.negated ? 'negated' : a.uncertain ? 'uncertain' : 'affirmed'}, not ${want}`);
}
console.log(`${tried} NegEx triggers, ${tried - missed.length} give their status, ${missed.length} do not:`);
for (const m of missed) console.log(`  ${m}`);
