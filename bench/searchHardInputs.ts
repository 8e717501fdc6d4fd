/**
 * Search under hard inputs (issue 15): the time to match a hostile glob (the
 * include/exclude settings and `search --glob`) against long names, and a
 * search where one long note matches in every passage beside 30 short notes
 * (result count and latency, by words only and with vectors).
 *
 *   node --import tsx bench/searchHardInputs.ts [--long-mb 4] [--dry-run]
 *
 * The results are appended to BENCHMARKS.md ("Search under hard inputs"), unless --dry-run.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendBenchmark, machineLine } from './report';
import type { ChunkEmbedder } from '../src/engine/index/embedder';
import { compileGlob } from '../src/engine/index/glob';
import { indexFolder } from '../src/engine/index/indexer';
import { searchIndex } from '../src/engine/index/search';
import { IndexStore } from '../src/engine/index/store';
import { chunkByWords } from '../src/engine/index/wordChunker';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const LONG_MB = Number(opt('--long-mb', '4'));
const WRITE = !argv.includes('--dry-run');
const HOSTILE = '*a*a*a*a*a*a*a*a*a*a*a*a*a*b';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function globRows(): string[] {
  const rows: string[] = [];
  for (const n of [40, 255, 4096]) {
    const name = 'a'.repeat(n);
    const m = compileGlob(HOSTILE);
    const times: number[] = [];
    let steps = 0;
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      steps = m.run(name).steps;
      times.push(performance.now() - s);
    }
    rows.push(`| ${n} | ${pct(times, 0.5).toFixed(3)} ms | ${pct(times, 0.95).toFixed(3)} ms | ${steps.toLocaleString('en')} |`);
  }
  return rows;
}

/** bag-of-characters vectors: cheap, and every passage of the long note alike */
function cheapEmbedder(demo: boolean): ChunkEmbedder {
  const dims = 64;
  return {
    fingerprint: `bench-hard:${demo}`,
    dims,
    demo,
    chunk: (t) => chunkByWords(t, { chars: 400, overlap: 50 }),
    embed: async (texts) =>
      texts.map((t) => {
        const v = new Float32Array(dims);
        for (let i = 0; i < t.length; i++) v[t.charCodeAt(i) % dims] += 1;
        let n = 0;
        for (const x of v) n += x * x;
        n = Math.sqrt(n) || 1;
        for (let j = 0; j < dims; j++) v[j] /= n;
        return v;
      }),
  };
}

async function crowded(demo: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-bench-hard-'));
  try {
    const folder = join(dir, 'notes');
    mkdirSync(join(folder, 'short'), { recursive: true });
    const sentence = 'Chest pain again overnight, settled with rest. ';
    writeFileSync(join(folder, 'dictation.txt'), sentence.repeat(Math.ceil((LONG_MB * 1e6) / sentence.length)));
    for (let i = 0; i < 30; i++) writeFileSync(join(folder, 'short', `n${i}.txt`), `Seen in clinic ${i}. Chest pain on exertion, ECG normal.`);
    const { store } = await IndexStore.open(join(dir, 'index.sqlite'));
    const e = cheapEmbedder(demo);
    const built = await indexFolder(store, e, { folder, maxFileBytes: (LONG_MB + 1) * 1e6 });
    const k10 = (await searchIndex(store, e, { query: 'chest pain' })).results.length;
    const k50 = (await searchIndex(store, e, { query: 'chest pain', k: 50 })).results.length;
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      await searchIndex(store, e, { query: i % 2 ? 'chest pain' : 'chest pain exertion', k: 50 });
      times.push(performance.now() - s);
    }
    await store.close();
    return { passages: built.chunks, k10, k50, p50: pct(times, 0.5), p95: pct(times, 0.95) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const glob = globRows();
  process.stderr.write('indexing the crowded folder (words only)...\n');
  const words = await crowded(true);
  process.stderr.write('indexing the crowded folder (with vectors)...\n');
  const hybrid = await crowded(false);
  const out: string[] = [];
  out.push(machineLine());
  out.push('');
  out.push(`\`node --import tsx bench/searchHardInputs.ts\`. The glob \`${HOSTILE}\` against names of n letters "a" (no match), 20 runs each; steps are NFA state visits:`);
  out.push('');
  out.push('| name length | p50 | p95 | steps |');
  out.push('|---|---|---|---|');
  out.push(...glob);
  out.push('');
  out.push(`One ${LONG_MB} MB note whose every passage says "chest pain" and 30 short notes that say it once; passages of 400 characters; 30 searches with k = 50:`);
  out.push('');
  out.push('| index | passages | notes returned, k = 10 | notes returned, k = 50 | search p50 / p95 |');
  out.push('|---|---|---|---|---|');
  for (const [label, r] of [['words only', words], ['words and vectors', hybrid]] as const) {
    out.push(`| ${label} | ${r.passages.toLocaleString('en')} | ${r.k10} | ${r.k50} | ${r.p50.toFixed(1)} ms / ${r.p95.toFixed(1)} ms |`);
  }
  out.push('');
  const text = out.join('\n');
  process.stdout.write(text + '\n');
  if (WRITE) appendBenchmark('Search under hard inputs (bench/searchHardInputs.ts)', text);
}

void main();
