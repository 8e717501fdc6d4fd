/**
 * Assertion status (src/engine/tasks/assertion.ts) against published,
 * annotated sets: per-status precision, recall and F1.
 *
 * Sets (readers and labelling conventions in assertion-sets.ts; sources in
 * scripts/eval/README.md; none is part of this repository):
 * - context: the ConText / NegEx test kit (negated, historical, hypothetical,
 *   experiencer per condition);
 * - openi: OpenI chest radiograph reports with their MeSH coding;
 * - cmc2007: the CMC 2007 challenge's paediatric radiology reports with
 *   their ICD-9-CM coding.
 * For the two report sets the statuses scored are `absent` (the finding is
 * negated, uncertain or hypothetical: what their coders did not code) and
 * its complement `present`.
 *
 *   node --import tsx scripts/eval/assertion.ts FILE [--set context|openi|cmc2007] [--split dev|held-out|all]
 *        [--errors STATUS] [--grep REGEX] [--json]
 *
 * Entities are asserted as whole words (midWord: 'widen': a few of the kit's
 * conditions end inside a word, "abnormalit" for "abnormality").
 *
 * The split is fixed by a hash of each sentence (kit) or report (report
 * sets), so rules can be written from errors on `dev` while `held-out` stays
 * unseen; --errors and --grep list dev entities only.
 */
import { AssertionContext, type Assertion } from '../../src/engine/tasks/assertion';
import { readSet, SET_NAMES, splitOf, STATUSES, type Item, type SetName, type Status } from './assertion-sets';

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

function predicted(a: Assertion): Record<Status, boolean> {
  return {
    negated: a.negated,
    historical: a.historical,
    hypothetical: a.hypothetical,
    experiencer: a.experiencer === 'other',
    absent: a.negated || a.uncertain || a.hypothetical,
    present: !(a.negated || a.uncertain || a.hypothetical),
  };
}

function score(c: Counts): { p: number; r: number; f1: number } {
  const p = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const r = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  return { p, r, f1: p + r === 0 ? 0 : (2 * p * r) / (p + r) };
}

/** One prepared context per distinct text: a report's mentions share it. */
function assertAll(items: readonly Item[]): Assertion[] {
  const contexts = new Map<string, AssertionContext>();
  return items.map((it) => {
    let ctx = contexts.get(it.text);
    if (!ctx) {
      ctx = new AssertionContext(it.text, { midWord: 'widen' });
      contexts.set(it.text, ctx);
    }
    return ctx.assert(it.start, it.end);
  });
}

export function evaluate(items: readonly Item[]): { counts: Partial<Record<Status, Counts>>; uncertain: number } {
  const counts: Partial<Record<Status, Counts>> = {};
  let uncertain = 0;
  const got = assertAll(items);
  items.forEach((it, k) => {
    const a = got[k]!;
    if (a.uncertain) uncertain++;
    const p = predicted(a);
    for (const s of STATUSES) {
      const gold = it.gold[s];
      if (gold === undefined) continue;
      const c = (counts[s] ??= { tp: 0, fp: 0, fn: 0 });
      if (p[s] && gold) c.tp++;
      else if (p[s]) c.fp++;
      else if (gold) c.fn++;
    }
  });
  return { counts, uncertain };
}

/** the entity in [[ ]] with some context: a sentence is short, a report is cut to 150 characters each side */
function marked(it: Item): string {
  const from = Math.max(0, it.start - 150);
  const to = Math.min(it.text.length, it.end + 150);
  return `${it.text.slice(from, it.start)}[[${it.text.slice(it.start, it.end)}]]${it.text.slice(it.end, to)}`.replace(/\s+/g, ' ');
}

function main(): void {
  const args = process.argv.slice(2);
  const valued = ['--set', '--split', '--errors', '--grep'];
  const file = args.find((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1] ?? ''));
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const set = (opt('set') ?? 'context') as SetName;
  if (!file || !SET_NAMES.includes(set)) {
    console.error('usage: node --import tsx scripts/eval/assertion.ts FILE [--set context|openi|cmc2007] [--split dev|held-out|all] [--errors STATUS] [--grep REGEX] [--json]');
    process.exit(2);
  }
  const split = opt('split') ?? 'all';
  const { items, skipped } = readSet(set, file);
  const dev = items.filter((x) => splitOf(x.splitKey) === 'dev');
  const flags = (r: Partial<Record<Status, boolean>>) => STATUSES.filter((s) => r[s]).join(',') || '-';
  const grep = opt('grep');
  if (grep) {
    // dev entities matching a pattern, with gold and predicted labels (for writing rules)
    const re = new RegExp(grep, 'i');
    const chosen = dev.filter((x) => re.test(marked(x)));
    assertAll(chosen).forEach((a, k) => console.log(`gold ${flags(chosen[k]!.gold)} | got ${flags(predicted(a))} | ${marked(chosen[k]!)}`));
    return;
  }
  const errorsOf = opt('errors') as Status | undefined;
  if (errorsOf) {
    assertAll(dev).forEach((a, k) => {
      const it = dev[k]!;
      const gold = it.gold[errorsOf];
      const got = predicted(a)[errorsOf];
      if (gold !== undefined && got !== gold) console.log(`${got ? 'FP' : 'FN'} ${it.id}: ${marked(it)}`);
    });
    return;
  }
  const chosen = items.filter((it) => split === 'all' || splitOf(it.splitKey) === split);
  const { counts, uncertain } = evaluate(chosen);
  if (args.includes('--json')) {
    console.log(JSON.stringify({ set, split, items: chosen.length, skipped, counts, uncertain }));
    return;
  }
  const left = Object.entries(skipped).filter(([, n]) => n > 0).map(([why, n]) => `${n} ${why}`);
  console.log(`${set} ${split}: ${chosen.length} entities${left.length ? ` (left out: ${left.join('; ')})` : ''}`);
  console.log('status        gold  TP   FP   FN   precision recall F1');
  for (const s of STATUSES) {
    const c = counts[s];
    if (!c) continue;
    const { p, r, f1 } = score(c);
    console.log(`${s.padEnd(13)} ${String(c.tp + c.fn).padStart(4)} ${String(c.tp).padStart(4)} ${String(c.fp).padStart(4)} ${String(c.fn).padStart(4)}   ${p.toFixed(3)}     ${r.toFixed(3)}  ${f1.toFixed(3)}`);
  }
  console.log(`(entities flagged uncertain: ${uncertain} of ${chosen.length})`);
}

if (require.main === module) main();
