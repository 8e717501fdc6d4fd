/**
 * A generated ICD-10-CM order file of any size, for tests that need more codes
 * than the hand-written fixture release: codes spread over chapters, each with
 * a description built from its chapter's words, in the official fixed-width
 * layout (order number, code, billable flag, short and long titles).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** category letters and the words of their descriptions (a chapter each, mostly) */
const TOPICS: Array<[letter: string, words: string[]]> = [
  ['A', ['infection', 'bacterial', 'cholera', 'typhoid']],
  ['C', ['malignant', 'neoplasm', 'carcinoma', 'lymphoma']],
  ['E', ['diabetes', 'thyroid', 'metabolic', 'obesity']],
  ['F', ['depressive', 'anxiety', 'schizophrenia', 'disorder']],
  ['I', ['hypertension', 'heart', 'infarction', 'fibrillation']],
  ['J', ['pneumonia', 'asthma', 'bronchitis', 'respiratory']],
  ['K', ['gastritis', 'hernia', 'appendicitis', 'liver']],
  ['S', ['fracture', 'femur', 'injury', 'wrist']],
];

export function syntheticOrderFile(codes: number): string {
  const lines: string[] = [];
  for (let i = 0; i < codes; i++) {
    const [letter, words] = TOPICS[i % TOPICS.length]!;
    const n = Math.floor(i / TOPICS.length);
    const code = `${letter}${String(10 + (n % 90)).padStart(2, '0')}${Math.floor(n / 90)}`;
    const long = `${words[n % words.length]} ${words[(n + 1) % words.length]} type ${n}`;
    lines.push(`${String(i + 1).padStart(5, '0')} ${code.padEnd(7)} 1 ${long.slice(0, 60).padEnd(60)} ${long}`);
  }
  return lines.join('\n') + '\n';
}

/** a folder holding a generated icd10cm_order_2027.txt of `codes` codes */
export function writeSyntheticRelease(dir: string, codes: number): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'icd10cm_order_2027.txt'), syntheticOrderFile(codes));
  return dir;
}
