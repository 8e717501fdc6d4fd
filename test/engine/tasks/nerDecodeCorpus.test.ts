/**
 * Decoding on a real IOB2 corpus (NCBI-disease, from the shared reference
 * data): perfect logits made from the gold tags, cut into small overlapping
 * windows, must decode back to exactly the gold spans.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeTokenLogits } from '../../../src/engine/tasks/nerDecode';
import { FakeModel, type PieceContext } from './fakeModel';

const CORPUS = resolve(__dirname, '../../..', '../shared/data/ner/ncbi_disease/test.tsv');
const LABELS = ['O', 'B-Disease', 'I-Disease'];

interface Sentence {
  text: string;
  /** gold label by character offset of a corpus token's start */
  tagAt: Map<number, string>;
  /** corpus tokens as [start, end, tag] */
  tokens: Array<[number, number, string]>;
}

function readCorpus(): Sentence[] {
  const out: Sentence[] = [];
  let cur: Sentence = { text: '', tagAt: new Map(), tokens: [] };
  for (const line of readFileSync(CORPUS, 'utf8').split(/\r?\n/)) {
    if (line.trim() === '') {
      if (cur.tokens.length) out.push(cur);
      cur = { text: '', tagAt: new Map(), tokens: [] };
      continue;
    }
    const [tok, tag] = line.split('\t') as [string, string];
    if (cur.text) cur.text += ' ';
    const start = cur.text.length;
    cur.text += tok;
    cur.tagAt.set(start, tag);
    cur.tokens.push([start, cur.text.length, tag]);
  }
  if (cur.tokens.length) out.push(cur);
  return out;
}

function goldSpans(s: Sentence): string[] {
  const spans: string[] = [];
  let open: [number, number] | undefined;
  for (const [start, end, tag] of s.tokens) {
    if (tag.startsWith('B-') || (tag.startsWith('I-') && !open)) {
      if (open) spans.push(s.text.slice(...open));
      open = [start, end];
    } else if (tag.startsWith('I-') && open) open[1] = end;
    else if (open) {
      spans.push(s.text.slice(...open));
      open = undefined;
    }
  }
  if (open) spans.push(s.text.slice(...open));
  return spans;
}

test('NCBI-disease: gold tags through overlapping windows decode to the gold spans', async (t) => {
  if (!existsSync(CORPUS)) {
    t.skip(`reference corpus not found at ${CORPUS}`);
    return;
  }
  const sentences = readCorpus();
  assert.ok(sentences.length > 900);
  // a later fake word inside one corpus token (split at punctuation) continues that token's entity
  const tagFor = (s: Sentence) => (p: PieceContext) => {
    if (!p.first) return 'O';
    const exact = s.tagAt.get(p.wordStart);
    if (exact !== undefined) return exact;
    const owner = s.tokens.find(([a, b]) => a < p.wordStart && p.wordStart < b);
    return owner && owner[2] !== 'O' ? `I-${owner[2].slice(2)}` : 'O';
  };
  let spans = 0;
  for (const s of sentences) {
    const model = new FakeModel({ labels: LABELS, tag: tagFor(s), windowTokens: 12, stride: 4 });
    const windows = model.windows(s.text);
    const out = await model.run(windows.map((w) => w.ids), ['logits']);
    const got = decodeTokenLogits(s.text, windows, out.map((o) => o['logits']!), LABELS).map((x) => s.text.slice(x.start, x.end));
    const gold = goldSpans(s);
    spans += gold.length;
    assert.deepEqual(got, gold, s.text);
  }
  assert.ok(spans > 900);
});
