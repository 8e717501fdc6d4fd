/**
 * The built-in clinical lexicon (media/lexicon/clinical-lexicon.txt): load time
 * (read, parse, build the automaton; target < 300 ms) and matching speed on a
 * 2,000-token note made of the demo notes (real clinical wording, not filler),
 * alone and with assertion as ner.tag runs it on every edit.
 *
 *   node --import tsx bench/lexicon.ts [--write]
 *
 * --write appends the figures to BENCHMARKS.md under "Default lexicon".
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appendBenchmarkLines } from './report';
import { EngineError } from '../src/engine/errors';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import type { EngineHost } from '../src/engine/host';
import { EntityTagger } from '../src/engine/tasks/entityTagger';
import { defaultLexiconPath, parseDefaultLexicon } from '../src/engine/tasks/defaultLexicon';
import { Lexicon } from '../src/engine/tasks/lexicon';
import { DEFAULT_CONTEXT_RULES } from '../src/engine/tasks/lexiconRules';

const TOKEN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

function percentiles(times: number[]): { p50: number; p95: number } {
  const t = [...times].sort((a, b) => a - b);
  const at = (q: number) => t[Math.min(t.length - 1, Math.floor(q * t.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}

/** demo notes joined until the note has `tokens` tokens */
function note(tokens: number): string {
  const dir = join(__dirname, '..', 'demo', 'notes');
  const parts: string[] = [];
  let count = 0;
  for (let i = 0; count < tokens; i++) {
    const files = readdirSync(dir).sort();
    const t = readFileSync(join(dir, files[i % files.length]!), 'utf8');
    const words = t.match(TOKEN)!;
    if (count + words.length > tokens) {
      // cut the last note at a token boundary so the note is exactly the size asked for
      let n = 0;
      let cut = 0;
      for (const m of t.matchAll(TOKEN)) {
        if (++n > tokens - count) break;
        cut = m.index + m[0].length;
      }
      parts.push(t.slice(0, cut));
      count = tokens;
    } else {
      parts.push(t);
      count += words.length;
    }
  }
  return parts.join('\n\n');
}

const host: EngineHost = {
  settings: () => defaultEngineSettings,
  model: () => {
    throw new EngineError('not-loaded', 'none');
  },
  storageDir: () => '/tmp',
  log: () => {},
};

async function main(): Promise<void> {
  const path = defaultLexiconPath();
  if (!path) throw new Error('media/lexicon/clinical-lexicon.txt is missing: run node scripts/lexicon/build.mjs');
  const lines: string[] = [];
  const loadTimes: number[] = [];
  let lexicon: Lexicon | undefined;
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    lexicon = new Lexicon(parseDefaultLexicon(readFileSync(path, 'utf8')), { rules: DEFAULT_CONTEXT_RULES });
    loadTimes.push(performance.now() - t0);
  }
  const heap = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  const load = percentiles(loadTimes.slice(1));
  lines.push(`built-in lexicon load (read + parse + automaton), ${lexicon!.termCount} terms, ${(readFileSync(path).length / 1024).toFixed(0)} KiB: first ${loadTimes[0]!.toFixed(0)} ms, then p50 ${load.p50.toFixed(0)} ms (target < 300 ms); heap after ${loadTimes.length} loads +${heap.toFixed(0)} MiB`);

  const text = note(2000);
  const tokens = text.match(TOKEN)!.length;
  let matches = 0;
  for (let i = 0; i < 50; i++) matches = lexicon!.match(text).length; // warm up
  const matchTimes: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    lexicon!.match(text);
    matchTimes.push(performance.now() - t0);
  }
  const m = percentiles(matchTimes);
  lines.push(`built-in lexicon match, ${tokens}-token note of demo notes, ${matches} entities: p50 ${m.p50.toFixed(2)} ms, p95 ${m.p95.toFixed(2)} ms`);

  const tagger = new EntityTagger(host);
  tagger.setLexicon(lexicon);
  for (let i = 0; i < 30; i++) await tagger.tag({ text, useModel: false });
  const tagTimes: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = performance.now();
    await tagger.tag({ text, useModel: false, version: i });
    tagTimes.push(performance.now() - t0);
  }
  const t = percentiles(tagTimes);
  lines.push(`built-in lexicon + assertion (ner.tag without a model), same note: p50 ${t.p50.toFixed(2)} ms, p95 ${t.p95.toFixed(2)} ms (target <= 10 ms)`);
  for (const l of lines) console.log(l);

  if (process.argv.includes('--write')) appendBenchmarkLines('Default lexicon', lines);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
