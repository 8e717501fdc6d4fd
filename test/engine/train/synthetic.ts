/**
 * Learnable synthetic datasets for training tests, generated with a seed: no
 * real notes. Entities are decided by word identity (a drug word is always a
 * DRUG, "chest pain" always a PROBLEM), a note's label by one keyword, so a
 * head on frozen random features can learn both and a test can demand high
 * figures.
 */
import { writeFileSync } from 'node:fs';
import type { LabelledDocument, LabelledSpan } from '../../../src/engine/data/types';
import { SeededRandom } from '../../../src/engine/seededRandom';

// with the test tokenizer, each word's first piece belongs to no other word here: the first piece decides
export const DRUGS = ['metformin', 'insulin', 'aspirin', 'albuterol', 'prednisone', 'atorvastatin'];
export const PROBLEMS = ['pneumonia', 'cough', 'nausea', 'edema', 'chest pain', 'shortness of breath'];
const FILLER = ['patient', 'was', 'seen', 'today', 'and', 'reports', 'the', 'daily', 'with', 'for', 'history', 'clinic', 'stable', 'home'];

function pick<T>(rng: SeededRandom, list: readonly T[]): T {
  return list[Math.floor(rng.uniform() * list.length)]!;
}

/** Notes of 2-3 sentences, each with filler words around one or two entities. */
export function nerDocuments(n: number, seed: number): LabelledDocument[] {
  const rng = new SeededRandom(seed);
  const docs: LabelledDocument[] = [];
  for (let d = 0; d < n; d++) {
    let text = '';
    const spans: LabelledSpan[] = [];
    const sentences = 2 + Math.floor(rng.uniform() * 2);
    for (let s = 0; s < sentences; s++) {
      const parts: Array<string | { word: string; label: string }> = [];
      const fill = () => {
        const k = 1 + Math.floor(rng.uniform() * 3);
        for (let i = 0; i < k; i++) parts.push(pick(rng, FILLER));
      };
      fill();
      parts.push({ word: pick(rng, PROBLEMS), label: 'PROBLEM' });
      fill();
      if (rng.uniform() < 0.7) {
        parts.push({ word: pick(rng, DRUGS), label: 'DRUG' });
        fill();
      }
      const words = parts;
      const first = text.length === 0;
      if (!first) text += ' ';
      words.forEach((p, i) => {
        if (i > 0) text += ' ';
        if (typeof p === 'string') text += i === 0 ? p[0]!.toUpperCase() + p.slice(1) : p;
        else {
          spans.push({ start: text.length, end: text.length + p.word.length, label: p.label });
          text += p.word;
        }
      });
      text += '.';
    }
    docs.push({ id: `synthetic-ner:${d + 1}`, text, spans });
  }
  return docs;
}

const NOTE_WORDS = ['patient', 'seen', 'today', 'reports', 'cough', 'stable', 'home', 'daily', 'clinic', 'history', 'insulin', 'aspirin', 'with', 'for'];

/** Notes of 8-20 words; "chest" (one token) somewhere makes the label "cardiac", else "routine". */
export function classifyDocuments(n: number, seed: number): LabelledDocument[] {
  const rng = new SeededRandom(seed);
  const docs: LabelledDocument[] = [];
  for (let d = 0; d < n; d++) {
    const k = 8 + Math.floor(rng.uniform() * 13);
    const words = Array.from({ length: k }, () => pick(rng, NOTE_WORDS));
    const positive = rng.uniform() < 0.5;
    if (positive) words[Math.floor(rng.uniform() * k)] = 'chest';
    docs.push({ id: `synthetic-classify:${d + 1}`, text: words.join(' ') + '.', label: positive ? 'cardiac' : 'routine' });
  }
  return docs;
}

export function writeJsonl(file: string, docs: readonly LabelledDocument[]): void {
  writeFileSync(file, docs.map((d) => JSON.stringify({ text: d.text, ...(d.spans ? { spans: d.spans } : {}), ...(d.label ? { label: d.label } : {}) })).join('\n') + '\n');
}
