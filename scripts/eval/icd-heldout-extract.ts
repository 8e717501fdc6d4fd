/**
 * Held-out text for ICD detection: the three public sets of the assertion
 * evaluation (scripts/eval/README.md), none of which the detection rules were
 * studied on, as one JSON line per text for scripts/eval/icd-detect.ts:
 *   - the ConText/NegEx kit's sentences (120 de-identified reports; echo
 *     reports list "REFERRING DIAGNOSIS: ... 496; ... 401.9")
 *   - OpenI chest radiograph reports: indication, comparison, findings,
 *     impression (indications often carry the ordering ICD-9 code)
 *   - CMC 2007 paediatric radiology: clinical history and impression
 *
 *   node --import tsx scripts/eval/icd-heldout-extract.ts KIT.txt indiana_reports.csv 2007ChallengeTrainData.xml OUT.jsonl
 */
import * as fs from 'node:fs';
import { parseCsv } from './assertion-sets';

const [kit, openi, cmc, out] = process.argv.slice(2);
if (!kit || !openi || !cmc || !out) {
  console.error('usage: node --import tsx scripts/eval/icd-heldout-extract.ts KIT.txt indiana_reports.csv 2007ChallengeTrainData.xml OUT.jsonl');
  process.exit(2);
}
const lines: string[] = [];
const seen = new Set<string>();
for (const row of fs.readFileSync(kit, 'utf8').split('\n').slice(1)) {
  const sentence = row.split('\t')[2];
  if (!sentence || seen.has(sentence)) continue;
  seen.add(sentence);
  lines.push(JSON.stringify({ id: `kit${seen.size}`, text: sentence }));
}
const [header, ...rows] = parseCsv(fs.readFileSync(openi, 'utf8'));
const col = (name: string) => header!.indexOf(name);
for (const r of rows) {
  const text = ['indication', 'comparison', 'findings', 'impression'].map((c) => r[col(c)] ?? '').filter(Boolean).join('\n');
  lines.push(JSON.stringify({ id: `openi${r[col('uid')]}`, text }));
}
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
for (const m of fs.readFileSync(cmc, 'utf8').matchAll(/<doc id="([^"]+)"[\s\S]*?<\/doc>/g)) {
  const texts = [...m[0].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => unescape(t[1]!));
  lines.push(JSON.stringify({ id: `cmc${m[1]}`, text: texts.join('\n') }));
}
fs.writeFileSync(out, lines.join('\n') + '\n', { mode: 0o600 });
console.log(`${lines.length} texts -> ${out}`);
