/**
 * Detection over one long line without punctuation (dictation, pasted tables), run in its own
 * process by detect.test.ts: prints how many codes were found.
 *
 *   node --import tsx test/engine/icd/longLine.ts CHARACTERS
 */
import { findCandidates, resolveDetections } from '../../../src/engine/icd/detect';
import { fixtureRecords, knowledgeOf } from './fixtures';

const size = Number(process.argv[2] ?? 1e6);
const words = 'patient has dm2 E11.9 and htn I10 bp 120 80 hr 72 glucose 250.00 mg dx 4019 history of 250.00 procedure 47.01 seen 2020 temp 101.2 weight 185 lb the and with of for no pain codes E119'.split(' ');
const parts: string[] = [];
let n = 0;
for (let i = 0; n < size; i++) {
  const w = words[(i * 7919) % words.length]!;
  parts.push(w);
  n += w.length + 1;
}
const text = parts.join(' ');
process.stdout.write(String(resolveDetections(text, findCandidates(text), knowledgeOf(fixtureRecords())).length));
