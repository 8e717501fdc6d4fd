/**
 * ICD benchmarks against the official files in ../shared/data/icd:
 * store build time, code lookup and description search latency (p50/p95),
 * and detection throughput on note text and on one unpunctuated line of 1 MB
 * and 10 MB (target: 5 MB/s or more). Appends a section to BENCHMARKS.md.
 *
 *   node --import tsx bench/icd.ts [--no-write]
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatOfFileName, parseCodeFile, type CodeRecord } from '../src/engine/icd/codesets';
import { installFromFolder, openActiveStore } from '../src/engine/icd/install';
import { IcdCatalog } from '../src/engine/icd/lookup';
import { findCandidates } from '../src/engine/icd/detect';

const OFFICIAL = path.resolve(__dirname, '..', '../shared/data/icd');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => `${x.toFixed(3)} ms`;

/** deterministic pseudo-random numbers, so runs are comparable */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const NOTE_LINES = [
  'HPI: 67 yo M with DM2 (E11.65), HTN (I10), CHF (I50.9) presents with SOB x 3 days.',
  'Vitals: BP 142/88, HR 104, RR 22, T 100.4 F, SpO2 91% on 2L NC, Wt 98.5 kg.',
  'Labs: Na 138, K 5.1, Cl 99, CO2 21, BUN 42, Cr 2.1, Glu 250, Hgb 10.2, Plt 180, BNP 1250.',
  'Meds: metformin 1000 mg BID, lisinopril 20 mg daily, insulin glargine 30 units qHS, ASA 81 mg.',
  'PMH: hx 250.00 in old records; CABG 2015 (V45.81). Seen 04/12/2019 at 10:30.',
  'Procedures: s/p lap appy 0DTJ4ZZ. Call 617-555-0142, MRN 4280114, room 402.',
  'Assessment and plan: continue current regimen, recheck BMP in 1 week, follow up with PCP in 2 weeks.',
  'Patient reports mild fatigue and decreased appetite; denies chest pain, fever, chills, nausea or vomiting.',
];

/** codes drawn from every official file (the parsed records are dropped afterwards, so they do not weigh on later timings) */
function sampleCodes(rand: () => number, n: number): string[] {
  const records: CodeRecord[] = [];
  for (const f of ['icd10cm/icd10cm-order-Jan-2021.txt', 'icd10pcs/icd10pcs_codes_2023.txt', 'icd9cm/CMS32_DESC_LONG_DX.txt', 'icd9cm/CMS32_DESC_LONG_SG.txt']) {
    records.push(...parseCodeFile(fs.readFileSync(path.join(OFFICIAL, f)), path.basename(f), formatOfFileName(f)!).records);
  }
  return Array.from({ length: n }, () => records[Math.floor(rand() * records.length)]!.code);
}

async function main(): Promise<void> {
  if (!fs.existsSync(OFFICIAL)) {
    console.log(`skipped: official ICD files not found at ${OFFICIAL}`);
    return;
  }
  const write = !process.argv.includes('--no-write');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-icd-bench-'));
  const results: string[] = [];
  try {
    // build time from the ICD-10-CM order file alone, then from every official file
    const cmOnly = path.join(tmp, 'cm-src');
    fs.mkdirSync(cmOnly);
    fs.symlinkSync(path.join(OFFICIAL, 'icd10cm/icd10cm-order-Jan-2021.txt'), path.join(cmOnly, 'icd10cm-order-Jan-2021.txt'));
    let t = performance.now();
    const cm = await installFromFolder(path.join(tmp, 'cm'), cmOnly);
    const cmBuild = performance.now() - t;
    results.push(`| store build, ICD-10-CM order file (${cm.meta.counts.icd10cm!.codes.toLocaleString('en-US')} codes) | ${(cmBuild / 1000).toFixed(1)} s |`);
    t = performance.now();
    const full = await installFromFolder(path.join(tmp, 'all'), OFFICIAL);
    const fullBuild = performance.now() - t;
    const total = Object.values(full.meta.counts).reduce((a, c) => a + c.codes, 0);
    results.push(`| store build, all official files (${total.toLocaleString('en-US')} codes) | ${(fullBuild / 1000).toFixed(1)} s |`);
    results.push(`| store size on disk | ${(fs.statSync(full.file).size / 1e6).toFixed(1)} MB |`);

    const rand = rng(42);
    const sample = sampleCodes(rand, 3000);

    let t0 = performance.now();
    const store = (await openActiveStore(path.join(tmp, 'all')))!;
    const openMs = performance.now() - t0;
    results.push(`| open the store (activation) | ${ms(openMs)} |`);
    const catalog = new IcdCatalog(store);

    // lookup as a hover does it: one code with its parent chain; distinct codes, so no cache hits
    const lookups: number[] = [];
    for (const code of [...new Set(sample)].slice(0, 2000)) {
      t0 = performance.now();
      await catalog.lookup([code]);
      lookups.push(performance.now() - t0);
    }
    results.push(`| code lookup with parents, uncached (n=${lookups.length}) | p50 ${ms(pct(lookups, 50))}, p95 ${ms(pct(lookups, 95))} |`);
    const cached: number[] = [];
    for (const code of sample.slice(0, 2000)) {
      t0 = performance.now();
      await catalog.lookup([code]);
      cached.push(performance.now() - t0);
    }
    results.push(`| code lookup with parents, cached (n=${cached.length}) | p50 ${ms(pct(cached, 50))}, p95 ${ms(pct(cached, 95))} |`);

    // search as the QuickPick does it: every prefix of what the user types
    const typed = ['type 2 diabetes with hyperglycemia', 'fracture of neck of right femur', 'essential hypertension', 'resection of appendix', 'E11.6', 'S72.0', '0DT', 'chronic kidney disease stage 3', 'heart failure', 'pneumonia', 'sepsis', 'appendectomy', 'asthma', 'depression', 'atrial fibrillation'];
    const searches: number[] = [];
    for (const q of typed) {
      for (let n = 1; n <= q.length; n++) {
        t0 = performance.now();
        await catalog.search(q.slice(0, n), { limit: 50 });
        searches.push(performance.now() - t0);
      }
    }
    results.push(`| description search, each keystroke (n=${searches.length}) | p50 ${ms(pct(searches, 50))}, p95 ${ms(pct(searches, 95))}, max ${ms(Math.max(...searches))} |`);

    // detection throughput on note text (about 5 MB of notes of 2-4 KB)
    const notes: string[] = [];
    let bytes = 0;
    while (bytes < 5e6) {
      const lines = Array.from({ length: 20 + Math.floor(rand() * 20) }, () => NOTE_LINES[Math.floor(rand() * NOTE_LINES.length)]!);
      const note = lines.join('\n');
      notes.push(note);
      bytes += Buffer.byteLength(note);
    }
    // wall clock and CPU time (this process, all threads): on a shared machine the second is the steadier one
    const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
    // steady state: the JIT has seen the code once (a note editor detects the same few functions all day)
    for (const n of notes.slice(0, 200)) await catalog.detect(n);
    t0 = performance.now();
    let cpu = process.cpuUsage();
    let candidates = 0;
    for (const n of notes) candidates += findCandidates(n).length;
    const scanS = (performance.now() - t0) / 1000;
    const scanCpu = cpuSeconds(process.cpuUsage(cpu));
    t0 = performance.now();
    cpu = process.cpuUsage();
    let found = 0;
    for (const n of notes) found += (await catalog.detect(n)).length;
    const detectS = (performance.now() - t0) / 1000;
    const detectCpu = cpuSeconds(process.cpuUsage(cpu));
    const mb = bytes / 1e6;
    results.push(`| detection, candidate scan only (${mb.toFixed(1)} MB, ${candidates.toLocaleString('en-US')} non-quantity candidates) | ${(mb / scanS).toFixed(1)} MB/s wall, ${(mb / scanCpu).toFixed(1)} MB/s per CPU second |`);
    results.push(
      `| detection with store lookups and descriptions (${notes.length} notes, ${found.toLocaleString('en-US')} codes) | ${(mb / detectS).toFixed(1)} MB/s wall, ${(mb / detectCpu).toFixed(1)} MB/s per CPU second, ${ms((detectS * 1000) / notes.length)} per note |`,
    );

    // one line without sentence ends or line breaks (dictation, pasted tables): time must grow with
    // the text, not with its square (a 4 MB line used to take minutes)
    const words = NOTE_LINES.join(' ')
      .replace(/[(]|[.,;:!?)](?=\s|$)/g, '')
      .split(/\s+/);
    for (const mb of [1, 10]) {
      const parts: string[] = [];
      let size = 0;
      while (size < mb * 1e6) {
        const w = words[Math.floor(rand() * words.length)]!;
        parts.push(w);
        size += w.length + 1;
      }
      const line = parts.join(' ');
      t0 = performance.now();
      cpu = process.cpuUsage();
      const n = findCandidates(line).length;
      const scanWall = (performance.now() - t0) / 1000;
      const scanCpuS = cpuSeconds(process.cpuUsage(cpu));
      t0 = performance.now();
      cpu = process.cpuUsage();
      const codes = (await catalog.detect(line)).length;
      const wall = (performance.now() - t0) / 1000;
      const cpuS = cpuSeconds(process.cpuUsage(cpu));
      results.push(`| detection, one unpunctuated line of ${mb} MB, candidate scan only (${n.toLocaleString('en-US')} candidates) | ${(mb / scanWall).toFixed(1)} MB/s wall, ${(mb / scanCpuS).toFixed(1)} MB/s per CPU second |`);
      results.push(
        `| detection, one unpunctuated line of ${mb} MB, with store lookups and descriptions (${codes.toLocaleString('en-US')} codes) | ${(mb / wall).toFixed(1)} MB/s wall, ${(mb / cpuS).toFixed(1)} MB/s per CPU second |`,
      );
    }
    await store.close();
    await (await openActiveStore(path.join(tmp, 'cm')))?.close();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const cpu = execSync("lscpu | grep 'Model name' | sed 's/Model name: *//'", { encoding: 'utf8' }).trim() || os.cpus()[0]?.model || 'unknown';
  const section = [
    '',
    `### Run (${new Date().toISOString().slice(0, 10)}, ${cpu}, ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at the end)`,
    '',
    'Official files from ../shared/data/icd (ICD-10-CM order Jan 2021, ICD-10-PCS codes 2023, ICD-9-CM v32). `node --import tsx bench/icd.ts`',
    '',
    '| measure | result |',
    '|---|---|',
    ...results,
    '',
  ].join('\n');
  console.log(section);
  if (write) {
    const file = path.resolve(__dirname, '..', 'BENCHMARKS.md');
    const heading = '## ICD code sets (bench/icd.ts)\n';
    let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
    if (!text.includes(heading)) text = `${text.trimEnd()}\n\n${heading}`;
    // the newest run goes right under the heading
    text = text.replace(heading, `${heading}${section}`);
    fs.writeFileSync(file, text);
  }
}

void main();
