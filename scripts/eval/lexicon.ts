/**
 * False positives of the default lexicon on real notes, before and after its
 * ambiguity rules (see scripts/eval/README.md for the data, docs/lexicon.md for
 * the method and figures).
 *
 *   node --import tsx scripts/eval/lexicon.ts NOTES.jsonl [--demo DIR] [--out DIR] [--labels FILE] [--sample N] [--top N] [--corpus mtsamples|demo] [--data DIR]
 *
 * Two lexicons match every note:
 *   before  the same sources with no ambiguity handling: every term in any case, the
 *           left-out abbreviations (scripts/lexicon/left-out.txt) added back, the
 *           blocklist not applied, no context rules;
 *   after   the shipped media/lexicon/clinical-lexicon.txt as the engine loads it (case
 *           rules, context rules in src/engine/tasks/lexiconRules.ts).
 * A hit is KEY = "note id:start:written". The review file holds N hits per type
 * from "before" and N from "after" (a seeded hash order, so reruns pick the same
 * hits), with whether "after" keeps each. Labels: `KEY<TAB>y|n`, y when the span
 * names an entity of the shown type in its context. Precision = y / judged, on
 * each sample.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadDefaultLexicon, parseDefaultLexicon } from '../../src/engine/tasks/defaultLexicon';
import { Lexicon, type LexiconMatch, type LexiconSource } from '../../src/engine/tasks/lexicon';

function usage(): never {
  console.error('usage: node --import tsx scripts/eval/lexicon.ts NOTES.jsonl [--demo DIR] [--out DIR] [--labels FILE] [--sample N] [--top N] [--corpus mtsamples|demo] [--data DIR]');
  process.exit(2);
}

const root = path.resolve(__dirname, '../..');
const args = process.argv.slice(2);
let notesFile: string | undefined;
let demoDir = path.join(root, 'demo', 'notes');
let outDir: string | undefined;
let labelsFile: string | undefined;
let sample = 60;
let dataDir: string | undefined;
let top = 0;
let corpusOnly: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--demo') demoDir = args[++i] ?? usage();
  else if (a === '--out') outDir = args[++i] ?? usage();
  else if (a === '--labels') labelsFile = args[++i] ?? usage();
  else if (a === '--sample') sample = Number(args[++i] ?? usage());
  else if (a === '--data') dataDir = args[++i] ?? usage();
  else if (a === '--top') top = Number(args[++i] ?? usage());
  else if (a === '--corpus') corpusOnly = args[++i] ?? usage();
  else if (a.startsWith('-') || notesFile) usage();
  else notesFile = a;
}
if (!notesFile) usage();
outDir ??= path.dirname(notesFile);

interface Note {
  id: string;
  text: string;
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

async function naiveLexicon(): Promise<Lexicon> {
  const build = (await import(pathToFileURL(path.join(root, 'scripts/lexicon/build.mjs')).href)) as {
    buildLexicon(o: { dataDir?: string; naive?: boolean }): { text: string };
  };
  const sections: LexiconSource[] = parseDefaultLexicon(build.buildLexicon({ dataDir, naive: true }).text).map((s) => ({ type: s.type, terms: s.terms }));
  for (const line of fs.readFileSync(path.join(root, 'scripts/lexicon/left-out.txt'), 'utf8').split('\n')) {
    const m = /^([a-z]+)\t(\S+)/.exec(line);
    if (m) sections.push({ type: m[1]!, terms: [m[2]!] });
  }
  return new Lexicon(sections);
}

async function main(): Promise<void> {
  const notes: Array<Note & { corpus: string }> = [];
  for (const line of fs.readFileSync(notesFile!, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const n = JSON.parse(line) as { id: string | number; text: string };
    notes.push({ id: `mt${n.id}`, text: n.text, corpus: 'mtsamples' });
  }
  for (const f of fs.readdirSync(demoDir).sort()) notes.push({ id: `demo/${f}`, text: fs.readFileSync(path.join(demoDir, f), 'utf8'), corpus: 'demo' });

  const before = await naiveLexicon();
  const after = loadDefaultLexicon().lexicon;
  type Hit = { key: string; note: Note & { corpus: string }; m: LexiconMatch; kept: boolean };
  const hits: Hit[] = [];
  const counts: Record<string, Record<string, { before: number; after: number }>> = {};
  const count = (corpus: string, type: string, which: 'before' | 'after') => {
    counts[corpus] ??= {};
    counts[corpus][type] ??= { before: 0, after: 0 };
    counts[corpus][type][which]++;
  };
  for (const note of notes) {
    const kept = new Set(after.match(note.text).map((m) => `${m.start}:${m.end}:${m.type}`));
    for (const k of kept) count(note.corpus, k.split(':')[2]!, 'after');
    for (const m of before.match(note.text)) {
      count(note.corpus, m.type, 'before');
      const written = note.text.slice(m.start, m.end).replace(/\s+/g, ' ');
      hits.push({ key: `${note.id}:${m.start}:${written}`, note, m, kept: kept.has(`${m.start}:${m.end}:${m.type}`) });
    }
  }
  for (const [corpus, byType] of Object.entries(counts)) {
    console.log(`${corpus}: hits before -> after`);
    for (const [type, c] of Object.entries(byType).sort()) console.log(`  ${type.padEnd(10)} ${String(c.before).padStart(7)} -> ${String(c.after).padStart(7)}`);
  }

  if (top > 0) {
    // the most frequent terms decide most of the precision: listed for review with how often "after" keeps them
    const freq = new Map<string, { n: number; kept: number }>();
    for (const h of hits) {
      const k = `${h.m.type}\t${h.note.text.slice(h.m.start, h.m.end).replace(/\s+/g, ' ')}`;
      const f = freq.get(k) ?? { n: 0, kept: 0 };
      f.n++;
      if (h.kept) f.kept++;
      freq.set(k, f);
    }
    const rows = [...freq.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, top);
    fs.mkdirSync(outDir!, { recursive: true });
    fs.writeFileSync(path.join(outDir!, 'lexicon-top.tsv'), rows.map(([k, f]) => `${f.n}\t${f.kept}\t${k}`).join('\n') + '\n', { mode: 0o600 });
  }

  const labels = new Map<string, string>();
  if (labelsFile && fs.existsSync(labelsFile)) {
    for (const line of fs.readFileSync(labelsFile, 'utf8').split('\n')) {
      const [k, v] = line.split('\t');
      if (k && (v === 'y' || v === 'n')) labels.set(k, v);
    }
  }
  const ctx = (t: string) => t.replace(/\s+/g, ' ');
  const review: string[] = ['key\ttype\tsample\tkept\tlabel\tcontext'];
  const byType = new Map<string, Hit[]>();
  for (const h of hits) if (!corpusOnly || h.note.corpus === corpusOnly) byType.set(h.m.type, [...(byType.get(h.m.type) ?? []), h]);
  console.log('\nprecision on the judged samples: before (a sample of "before") -> after (a sample of "after")');
  const p = (y: number, n: number) => (y + n ? `${((100 * y) / (y + n)).toFixed(1)}% (${y}/${y + n})` : 'n/a');
  for (const [type, list] of [...byType.entries()].sort()) {
    const row = [];
    for (const which of ['before', 'after'] as const) {
      // "after" hits are drawn with another salt, so its sample is not the surviving part of "before"'s
      const pool = which === 'before' ? list : list.filter((h) => h.kept);
      const salt = which === 'before' ? '' : which;
      const picked = [...pool].sort((a, b) => fnv(salt + a.key) - fnv(salt + b.key)).slice(0, sample);
      let y = 0;
      let n = 0;
      for (const h of picked) {
        const label = labels.get(h.key) ?? '';
        if (label === 'y') y++;
        if (label === 'n') n++;
        const { text } = h.note;
        review.push(`${h.key}\t${type}\t${which}\t${h.kept ? 'kept' : 'dropped'}\t${label}\t${ctx(text.slice(Math.max(0, h.m.start - 60), h.m.start))}[[${ctx(text.slice(h.m.start, h.m.end))}]]${ctx(text.slice(h.m.end, h.m.end + 60))}`);
      }
      row.push(`${p(y, n)}${y + n < picked.length ? ` [${picked.length - y - n} not judged]` : ''}`);
    }
    console.log(`  ${type.padEnd(10)} ${row.join(' -> ')}`);
  }
  fs.mkdirSync(outDir!, { recursive: true });
  const reviewFile = path.join(outDir!, 'lexicon-review.tsv');
  fs.writeFileSync(reviewFile, `${review.join('\n')}\n`, { mode: 0o600 });
  console.log(`\nreview file: ${reviewFile}`);
}

void main();
