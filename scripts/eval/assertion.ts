/**
 * Assertion status (src/engine/tasks/assertion.ts) against a published,
 * annotated test set: per-status precision, recall and F1.
 *
 * Data: the ConText / NegEx test kit of Chapman, Harkema et al. (2,376
 * conditions in sentences of de-identified clinical reports, each labelled
 * negated/affirmed, recent/historical/"not particular" (hypothetical), and
 * patient/other experiencer). It is not part of this repository: see
 * scripts/eval/README.md for where to get it.
 *
 *   node --import tsx scripts/eval/assertion.ts FILE [--split dev|held-out|all] [--errors STATUS] [--grep REGEX] [--json]
 *
 * A few of the kit's conditions end inside a word ("abnormalit" for
 * "abnormality"): they are asserted as whole words (midWord: 'widen').
 *
 * The split is fixed by a hash of each sentence, so the rule writer can look
 * at errors on `dev` and keep `held-out` unseen; --errors and --grep list
 * dev sentences only.
 */
import { readFileSync } from 'node:fs';
import { assertSpans, type Assertion } from '../../src/engine/tasks/assertion';

type Status = 'negated' | 'historical' | 'hypothetical' | 'experiencer';
const STATUSES: readonly Status[] = ['negated', 'historical', 'hypothetical', 'experiencer'];

interface Item {
  id: string;
  sentence: string;
  start: number;
  end: number;
  gold: Record<Status, boolean>;
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

/** FNV-1a of the sentence: the same sentence always lands in the same split */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** held-out: about 30% of sentences */
export function splitOf(sentence: string): 'dev' | 'held-out' {
  return hash(sentence.replace(/\s+/g, ' ').trim().toLowerCase()) % 10 < 3 ? 'held-out' : 'dev';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Where the condition lies in its sentence. The kit writes the condition in
 * capitals inside an otherwise mixed-case sentence; when the sentence is all
 * capitals, the first occurrence is taken.
 */
function locate(sentence: string, phrase: string): [number, number] | undefined {
  const words = phrase.trim().split(/\s+/).map(escapeRegExp);
  if (words.length === 0 || words[0] === '') return undefined;
  const re = new RegExp(words.join('\\s+'), 'gi');
  let first: [number, number] | undefined;
  for (const m of sentence.matchAll(re)) {
    const span: [number, number] = [m.index, m.index + m[0].length];
    first ??= span;
    if (m[0] === m[0].toUpperCase() && /[A-Z]/.test(m[0])) return span;
  }
  return first;
}

/** Rows: number, condition, sentence, negation, temporality, experiencer (a header line is skipped). */
export function readKit(file: string): { items: Item[]; skipped: number } {
  const items: Item[] = [];
  let skipped = 0;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const cols = line.split('\t');
    if (cols.length < 6 || !/^\d+$/.test(cols[0]!.trim())) continue;
    // the genConText copy has an empty second column
    const [id, phrase, sentence, neg, temp, exp] = cols.length >= 7 ? [cols[0], cols[2], cols[3], cols[4], cols[5], cols[6]] : cols;
    const span = locate(sentence!, phrase!);
    if (!span) {
      skipped++;
      continue;
    }
    items.push({
      id: id!.trim(),
      sentence: sentence!,
      start: span[0],
      end: span[1],
      gold: {
        negated: /^negated$/i.test(neg!.trim()),
        historical: /^historical$/i.test(temp!.trim()),
        hypothetical: /^not particular$|^hypothetical$/i.test(temp!.trim()),
        experiencer: !/^patient$/i.test(exp!.trim()),
      },
    });
  }
  return { items, skipped };
}

function predicted(a: Assertion): Record<Status, boolean> {
  return { negated: a.negated, historical: a.historical, hypothetical: a.hypothetical, experiencer: a.experiencer === 'other' };
}

function score(c: Counts): { p: number; r: number; f1: number } {
  const p = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const r = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  return { p, r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
}

export function evaluate(items: readonly Item[]): { counts: Record<Status, Counts>; uncertain: number } {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, { tp: 0, fp: 0, fn: 0 }])) as Record<Status, Counts>;
  let uncertain = 0;
  for (const it of items) {
    const a = assertSpans(it.sentence, [{ start: it.start, end: it.end }], { midWord: 'widen' })[0]!;
    if (a.uncertain) uncertain++;
    const got = predicted(a);
    for (const s of STATUSES) {
      if (got[s] && it.gold[s]) counts[s].tp++;
      else if (got[s]) counts[s].fp++;
      else if (it.gold[s]) counts[s].fn++;
    }
  }
  return { counts, uncertain };
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !['--split', '--errors', '--grep'].includes(args[i - 1] ?? ''));
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (!file) {
    console.error('usage: node --import tsx scripts/eval/assertion.ts FILE [--split dev|held-out|all] [--errors STATUS] [--grep REGEX] [--json]');
    process.exit(2);
  }
  const split = opt('split') ?? 'all';
  const { items, skipped } = readKit(file);
  const chosen = items.filter((it) => split === 'all' || splitOf(it.sentence) === split);
  const { counts, uncertain } = evaluate(chosen);
  const grep = opt('grep');
  if (grep) {
    // dev sentences matching a pattern, with gold and predicted labels (for writing rules)
    const re = new RegExp(grep, 'i');
    for (const it of items.filter((x) => splitOf(x.sentence) === 'dev' && re.test(x.sentence))) {
      const got = predicted(assertSpans(it.sentence, [{ start: it.start, end: it.end }], { midWord: 'widen' })[0]!);
      const marked = `${it.sentence.slice(0, it.start)}[[${it.sentence.slice(it.start, it.end)}]]${it.sentence.slice(it.end)}`.replace(/\s+/g, ' ');
      const flags = (r: Record<Status, boolean>) => STATUSES.filter((s) => r[s]).join(',') || '-';
      console.log(`gold ${flags(it.gold)} | got ${flags(got)} | ${marked}`);
    }
    return;
  }
  const errorsOf = opt('errors') as Status | undefined;
  if (errorsOf) {
    for (const it of items.filter((x) => splitOf(x.sentence) === 'dev')) {
      const got = predicted(assertSpans(it.sentence, [{ start: it.start, end: it.end }], { midWord: 'widen' })[0]!);
      if (got[errorsOf] !== it.gold[errorsOf]) {
        const marked = `${it.sentence.slice(0, it.start)}[[${it.sentence.slice(it.start, it.end)}]]${it.sentence.slice(it.end)}`.replace(/\s+/g, ' ');
        console.log(`${got[errorsOf] ? 'FP' : 'FN'} ${it.id}: ${marked}`);
      }
    }
    return;
  }
  if (args.includes('--json')) {
    console.log(JSON.stringify({ split, items: chosen.length, skipped, counts, uncertain }));
    return;
  }
  console.log(`${split}: ${chosen.length} conditions (${skipped} not located in their sentence)`);
  console.log('status        gold  TP   FP   FN   precision recall F1');
  for (const s of STATUSES) {
    const c = counts[s];
    const { p, r, f1 } = score(c);
    console.log(`${s.padEnd(13)} ${String(c.tp + c.fn).padStart(4)} ${String(c.tp).padStart(4)} ${String(c.fp).padStart(4)} ${String(c.fn).padStart(4)}   ${p.toFixed(3)}     ${r.toFixed(3)}  ${f1.toFixed(3)}`);
  }
  console.log(`(uncertain, which the kit does not label: ${uncertain} of ${chosen.length} conditions flagged)`);
}

if (require.main === module) main();
