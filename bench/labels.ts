/**
 * Labelling while typing: how long the labels of a note take to follow one
 * keystroke (every TextDocumentChangeEvent runs this on the extension host's
 * event loop), and to read and write the note's .ann. A long note (about
 * 200 KB) with 2,000 labels is the heavy case. Target: p95 under 1 ms per
 * keystroke, far inside a 16 ms frame.
 *   node --import tsx bench/labels.ts [--write]   (--write appends the figures to BENCHMARKS.md)
 */
import { performance } from 'node:perf_hooks';
import { NoteLabels } from '../src/features/labels/noteLabels';
import { appendBenchmark, machineLine } from './report';
import { syntheticClinicalText } from './syntheticNotes';

const LABELS = Number(process.env.BENCH_LABELS ?? 2_000);
const KEYSTROKES = Number(process.env.BENCH_KEYSTROKES ?? 5_000);
let text = syntheticClinicalText(200_000);

// label every n-th word
const words = [...text.matchAll(/\p{L}{4,}/gu)];
const step = Math.max(1, Math.floor(words.length / LABELS));
const { labels } = NoteLabels.read(undefined, text);
for (let i = 0; i < words.length && labels.spans.length < LABELS; i += step) {
  const w = words[i]!;
  labels.add(text, w.index, w.index + w[0].length, i % 3 ? 'Problem' : 'Drug');
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

// keystrokes at seeded positions: one character typed, sometimes one deleted
let seed = 7;
const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const follow: number[] = [];
for (let k = 0; k < KEYSTROKES; k++) {
  const at = Math.floor(next() * text.length);
  const del = next() < 0.2 && at < text.length;
  const change = del ? { rangeOffset: at, rangeLength: 1, text: '' } : { rangeOffset: at, rangeLength: 0, text: 'x' };
  text = text.slice(0, at) + change.text + text.slice(at + change.rangeLength);
  const t0 = performance.now();
  labels.follow([change]);
  follow.push(performance.now() - t0);
}

const t1 = performance.now();
const ann = labels.format(text);
const formatMs = performance.now() - t1;
const t2 = performance.now();
const again = NoteLabels.read(ann, text).labels;
const readMs = performance.now() - t2;

const rows = [
  `| follow one keystroke, ${labels.spans.length} labels (p50 / p95 / max) | ${(quantile(follow, 0.5) * 1000).toFixed(0)} µs / ${(quantile(follow, 0.95) * 1000).toFixed(0)} µs / ${(Math.max(...follow) * 1000).toFixed(0)} µs |`,
  `| write the .ann (${(ann.length / 1024).toFixed(0)} KB) | ${formatMs.toFixed(1)} ms |`,
  `| read the .ann against the note (${again.spans.length} spans placed, ${again.unplaced.length} unplaced) | ${readMs.toFixed(1)} ms |`,
];
const body = `${machineLine()}\n\nA ${(text.length / 1024).toFixed(0)} KB note, ${KEYSTROKES} keystrokes at seeded places (1 in 5 a deletion).\n\n| step | time |\n|---|---|\n${rows.join('\n')}`;
console.log(body);
if (process.argv.includes('--write')) appendBenchmark('Labels following edits (bench/labels.ts)', body);
