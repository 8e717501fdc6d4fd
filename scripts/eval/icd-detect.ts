/**
 * ICD detection measured on real notes (see scripts/eval/README.md for the data).
 *
 *   node --import tsx scripts/eval/icd-detect.ts NOTES.jsonl [--labels FILE] [--out DIR] [--codesets DIR]
 *
 * NOTES.jsonl holds {"id", "text"} per line. Each note is read twice: as
 * written, and flattened to one line (each line break becomes "," or a space,
 * so offsets stay the same), as transcribed notes often arrive.
 *
 * Writes to DIR (default: beside NOTES.jsonl):
 *   icd-hits.tsv     every detection: key, form, first reading, other readings, context
 *   icd-probe.tsv    code-shaped tokens in a code context that were NOT detected (recall review)
 * and, with --labels, prints precision and recall over the judged keys.
 *
 * The labels file is one judgement per line, `KEY<TAB>y|n[<TAB>comment]`, KEY as in
 * the review files (note id:start:written). `y` = an ICD code as written in the note,
 * `n` = not one. Precision = detections judged y / detections judged;
 * recall = detections judged y / every token judged y (detected or probed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCodeRecords } from './codeSets';
import { findCandidates, knowledgeOfRecords, resolveDetections, type CodeKnowledge, type Detection } from '../../src/engine/icd/detect';
import { SYSTEM_NAMES, systemsForWritten, type IcdSystem } from '../../src/engine/icd/systems';

function usage(): never {
  console.error('usage: node --import tsx scripts/eval/icd-detect.ts NOTES.jsonl [--labels FILE] [--out DIR] [--codesets DIR]');
  process.exit(2);
}

const args = process.argv.slice(2);
let notesFile: string | undefined;
let labelsFile: string | undefined;
let outDir: string | undefined;
let codesets = path.resolve(__dirname, '../../..', 'shared/data/icd');
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--labels') labelsFile = args[++i] ?? usage();
  else if (a === '--out') outDir = args[++i] ?? usage();
  else if (a === '--codesets') codesets = args[++i] ?? usage();
  else if (a.startsWith('-') || notesFile) usage();
  else notesFile = a;
}
if (!notesFile) usage();
outDir ??= path.dirname(notesFile);

function knowledge(): { k: CodeKnowledge; titles: Map<string, string> } {
  const records = readCodeRecords(codesets);
  return { k: knowledgeOfRecords(records), titles: new Map(records.map((r) => [`${r.system}:${r.code}`, r.short])) };
}

/** one line, same length: a line break becomes "," after text, a space otherwise */
function flatten(text: string): string {
  return text.replace(/\n/g, (_, i: number) => (i > 0 && text[i - 1] !== '\n' && text[i - 1] !== ',' ? ',' : ' '));
}

const show = (s: string) => s.replace(/\n/g, '⏎').replace(/\t/g, ' ');
const contextOf = (text: string, start: number, end: number) => `${show(text.slice(Math.max(0, start - 60), start))}[[${text.slice(start, end)}]]${show(text.slice(end, end + 60))}`;

// Where a code could be written that detection missed: any dotted token (any case, joined by
// "/" or carrying a suffix) that is a code or category with its dot in that place, and any
// undotted one that is a code after a code cue in its line, sentence or the line above.
const PROBE_CUE = /\b(?:icd[-\s]?(?:9|10)?(?:[-\s]?(?:cm|pcs))?|codes?|diagnos[ie]s|dx|ddx|impression|assessment)\b/i;
const PROBE_TOKEN = /(?<![A-Za-z0-9])([A-Za-z]?[0-9][0-9A-Za-z]{1,6}(?:\.[0-9A-Za-z]{1,4})?)(?![A-Za-z0-9])/g;

function probe(text: string, detected: Set<number>, k: CodeKnowledge): Array<{ start: number; end: number; written: string }> {
  const out: Array<{ start: number; end: number; written: string }> = [];
  PROBE_TOKEN.lastIndex = 0;
  for (let m = PROBE_TOKEN.exec(text); m; m = PROBE_TOKEN.exec(text)) {
    const written = m[1]!;
    const start = m.index;
    if (detected.has(start)) continue;
    const code = written.replace('.', '').toUpperCase();
    // ICD-9-CM diagnosis categories the files do not list (823.2), not procedure ones: every decimal is one
    const categories = written.includes('.') ? (k.categoryIn?.(code) ?? []).filter((s) => s === 'icd9cm-dx') : [];
    const exists = [...k.systemsOf(code), ...categories];
    if (!exists.length) continue;
    if (written.includes('.')) {
      if (systemsForWritten(written).some((s) => exists.includes(s))) out.push({ start, end: start + written.length, written });
      continue;
    }
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const before = text.slice(Math.max(lineStart, start - 120), start);
    const sentence = before.slice(Math.max(0, before.search(/[.!?]\s+[A-Z][^.!?]*$/) + 1));
    if (PROBE_CUE.test(sentence) || PROBE_CUE.test(text.slice(Math.max(0, lineStart - 40), lineStart))) {
      out.push({ start, end: start + written.length, written });
    }
  }
  return out;
}

function main(): void {
  const { k, titles } = knowledge();
  const notes = fs
    .readFileSync(notesFile!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: number | string; text: string });
  const hits: string[] = ['key\tform\tfirst\tothers\tcontext'];
  const probes: string[] = ['key\tcontext'];
  const hitKeys: Record<'lines' | 'flat', Set<string>> = { lines: new Set(), flat: new Set() };
  const probeKeys = new Set<string>();
  const reading = (d: Detection, i: number) => {
    const r = d.readings[i]!;
    return `${SYSTEM_NAMES[r.system as IcdSystem]} ${r.code} ${titles.get(`${r.system}:${r.code}`) ?? ''}`.trim();
  };
  let chars = 0;
  const t0 = process.hrtime.bigint();
  for (const note of notes) {
    chars += note.text.length;
    for (const form of ['lines', 'flat'] as const) {
      const text = form === 'lines' ? note.text : flatten(note.text);
      const found = resolveDetections(text, findCandidates(text), k);
      for (const d of found) {
        const key = `${note.id}:${d.start}:${d.written}`;
        hitKeys[form].add(key);
        hits.push([key, form, reading(d, 0), d.readings.slice(1).map((_, i) => reading(d, i + 1)).join(' | '), contextOf(text, d.start, d.end)].join('\t'));
      }
      if (form === 'lines') {
        for (const p of probe(text, new Set(found.map((d) => d.start)), k)) {
          const key = `${note.id}:${p.start}:${p.written}`;
          probeKeys.add(key);
          probes.push([key, contextOf(text, p.start, p.end)].join('\t'));
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.mkdirSync(outDir!, { recursive: true });
  fs.writeFileSync(path.join(outDir!, 'icd-hits.tsv'), `${hits.join('\n')}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(outDir!, 'icd-probe.tsv'), `${probes.join('\n')}\n`, { mode: 0o600 });
  console.log(`${notes.length} notes, ${(chars / 1e6).toFixed(1)} M characters (both forms ${seconds.toFixed(1)} s)`);
  console.log(`detections: ${hitKeys.lines.size} as written, ${hitKeys.flat.size} flattened; ${probeKeys.size} probe tokens not detected`);
  if (!labelsFile) return;

  const labels = new Map<string, boolean>();
  for (const line of fs.readFileSync(labelsFile, 'utf8').split('\n')) {
    const [key, label] = line.split('\t');
    if (key && (label === 'y' || label === 'n')) labels.set(key, label === 'y');
  }
  const positives = [...labels].filter(([, v]) => v).map(([key]) => key);
  for (const form of ['lines', 'flat'] as const) {
    const keys = [...hitKeys[form]];
    const judged = keys.filter((key) => labels.has(key));
    const tp = judged.filter((key) => labels.get(key)).length;
    const fp = judged.length - tp;
    const missed = positives.filter((key) => !hitKeys[form].has(key));
    const unjudged = keys.filter((key) => !labels.has(key));
    console.log(
      `${form.padEnd(5)}: precision ${(tp / Math.max(1, judged.length)).toFixed(3)} (${tp}/${judged.length}), recall ${(tp / Math.max(1, tp + missed.length)).toFixed(3)} (${tp}/${tp + missed.length}); ${fp} false, ${missed.length} missed, ${unjudged.length} not judged`,
    );
    if (process.env.VERBOSE) {
      for (const key of judged.filter((x) => !labels.get(x))) console.log(`  false  ${key}`);
      for (const key of missed) console.log(`  missed ${key}`);
      for (const key of unjudged) console.log(`  unjudged ${key}`);
    }
  }
  const unjudgedProbes = [...probeKeys].filter((key) => !labels.has(key));
  if (unjudgedProbes.length) console.log(`${unjudgedProbes.length} probe tokens not judged`);
}

main();
