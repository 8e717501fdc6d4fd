// Writes demo/labelled/: short synthetic notes (no patient data) with brat
// labels beside them and a labels.csv of note labels, for trying "Clinical:
// Train Head from Labels..." on the demo model and for the labelling e2e test.
// Entities are decided by the word itself (a drug name is always Drug, a
// problem word always Problem), so an entity head on a tiny random encoder
// learns them; the note label (respiratory or other) follows the problems
// named. Deterministic: the same files every run.
//
//   npx tsx scripts/make-demo-labels.ts [OUT_DIR]   (default demo/labelled)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatAnn } from '../src/engine/data/brat';
import { formatLabelsCsv } from '../src/engine/data/labelsFile';
import type { LabelledSpan } from '../src/engine/data/types';
import { seededUniform } from '../src/engine/seededRandom';

// Chosen so that with the demo model's tokenizer each entity's first piece belongs to no other word of
// these notes (a word is labelled by its first piece): aspirin and asthma would share one, and so would
// insulin and "in", atorvastatin and "after", which the fillers therefore avoid.
const DRUGS = ['metformin', 'insulin', 'albuterol', 'prednisone', 'atorvastatin', 'furosemide'];
const PROBLEMS = ['pneumonia', 'cough', 'nausea', 'hypertension'];
const RESPIRATORY = ['pneumonia', 'cough'];
const OPENERS = ['Patient seen today with', 'Reports', 'History of', 'Follow up for', 'Presents with'];
const BRIDGES = ['and was started on', 'treated with', 'continues', 'stable on', 'improved with'];
const CLOSERS = ['Return to clinic for review.', 'Discharged home in stable condition.', 'Vitals stable.', 'No acute distress.'];

const out = resolve(process.argv[2] ?? join(__dirname, '..', 'demo', 'labelled'));
// the project's seeded generator, so the notes are the same on every machine
const rng = seededUniform(20250101);
const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)]!;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'notes'), { recursive: true });
const rows: Array<{ path: string; label: string }> = [];
for (let n = 1; n <= 40; n++) {
  let text = `CLINIC NOTE ${String(n).padStart(2, '0')} (synthetic)\n`;
  const spans: LabelledSpan[] = [];
  const add = (word: string, label: string) => {
    spans.push({ start: text.length, end: text.length + word.length, label });
    text += word;
  };
  // enough sentences that the default training settings converge on 32 training notes
  const sentences = 8 + Math.floor(rng() * 4);
  // every other note is respiratory: one of its problems is
  const respiratory = n % 2 === 1;
  const which = Math.floor(rng() * sentences);
  for (let s = 0; s < sentences; s++) {
    const problem = respiratory && (s === which || rng() < 0.3) ? pick(RESPIRATORY) : pick(PROBLEMS.filter((p) => !RESPIRATORY.includes(p)));
    text += `${pick(OPENERS)} `;
    add(problem, 'Problem');
    text += ` ${pick(BRIDGES)} `;
    add(pick(DRUGS), 'Drug');
    text += '.\n';
  }
  text += `${pick(CLOSERS)}\n`;
  const name = `note-${String(n).padStart(2, '0')}.txt`;
  writeFileSync(join(out, 'notes', name), text);
  writeFileSync(join(out, 'notes', name.replace(/\.txt$/, '.ann')), formatAnn(text, spans));
  rows.push({ path: `notes/${name}`, label: respiratory ? 'respiratory' : 'other' });
}
writeFileSync(join(out, 'labels.csv'), formatLabelsCsv(rows));
console.log(`wrote 40 labelled notes to ${out}`);
