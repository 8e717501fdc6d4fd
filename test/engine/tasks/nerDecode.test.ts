import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTokenizerFromFolder } from '../../../src/engine/text/loadTokenizer';
import {
  decodeTokenLogits,
  detectScheme,
  mergeWords,
  wordsToSpans,
  type StitchedToken,
} from '../../../src/engine/tasks/nerDecode';
import { EngineError } from '../../../src/engine/errors';
import { FakeModel, TOKEN_LABELS, tagSequence, type PieceContext } from './fakeModel';

async function decode(text: string, tag: (p: PieceContext) => string, opts: { windowTokens?: number; stride?: number; labels?: string[] } = {}) {
  const m = new FakeModel({ tag, ...opts });
  const windows = m.windows(text);
  const out = await m.run(windows.map((w) => w.ids), ['logits']);
  const spans = decodeTokenLogits(text, windows, out.map((o) => o['logits']!), m.info.labels);
  return spans.map((s) => ({ text: text.slice(s.start, s.end), type: s.type }));
}

test('the tag scheme is read from the label names', () => {
  assert.equal(detectScheme(TOKEN_LABELS), 'iob2');
  assert.equal(detectScheme(['O', 'B-DRUG', 'I-DRUG', 'L-DRUG', 'U-DRUG']), 'bilou');
  assert.equal(detectScheme(['O', 'S-DRUG', 'B-DRUG', 'E-DRUG']), 'bilou');
  assert.equal(detectScheme(['O', 'PROBLEM', 'TEST']), 'io');
});

test('IOB2: multi-word problems, tests and treatments become spans with lower-cased types', async () => {
  const text = 'Chest x-ray showed right lower lobe pneumonia; started ceftriaxone.';
  // words: Chest x - ray showed right lower lobe pneumonia ; started ceftriaxone .
  const tags = ['B-TEST', 'I-TEST', 'I-TEST', 'I-TEST', 'O', 'B-PROBLEM', 'I-PROBLEM', 'I-PROBLEM', 'I-PROBLEM', 'O', 'O', 'B-TREATMENT', 'O'];
  assert.deepEqual(await decode(text, tagSequence(text, tags)), [
    { text: 'Chest x-ray', type: 'test' },
    { text: 'right lower lobe pneumonia', type: 'problem' },
    { text: 'ceftriaxone', type: 'treatment' },
  ]);
});

test('IOB2: two adjacent B- tags of one type are two spans', async () => {
  const text = 'Hypertension diabetes';
  assert.deepEqual(await decode(text, tagSequence(text, ['B-PROBLEM', 'B-PROBLEM'])), [
    { text: 'Hypertension', type: 'problem' },
    { text: 'diabetes', type: 'problem' },
  ]);
});

test('repair: I-X after O starts a new X span', async () => {
  const text = 'Patient has atrial fibrillation today';
  assert.deepEqual(await decode(text, tagSequence(text, ['O', 'O', 'I-PROBLEM', 'I-PROBLEM', 'O'])), [{ text: 'atrial fibrillation', type: 'problem' }]);
});

test('repair: I-X after B-Y ends the Y span and starts an X span', async () => {
  const text = 'CT abdomen showed appendicitis';
  assert.deepEqual(await decode(text, tagSequence(text, ['B-TEST', 'I-PROBLEM', 'O', 'B-PROBLEM'])), [
    { text: 'CT', type: 'test' },
    { text: 'abdomen', type: 'problem' },
    { text: 'appendicitis', type: 'problem' },
  ]);
});

const BILOU = ['O', 'B-PROBLEM', 'I-PROBLEM', 'L-PROBLEM', 'U-PROBLEM', 'B-DRUG', 'I-DRUG', 'L-DRUG', 'U-DRUG'];

test('BILOU: B..L and U spans', async () => {
  const text = 'Acute kidney injury treated with fluids and furosemide';
  const tags = ['B-PROBLEM', 'I-PROBLEM', 'L-PROBLEM', 'O', 'O', 'U-DRUG', 'O', 'U-DRUG'];
  assert.deepEqual(await decode(text, tagSequence(text, tags), { labels: BILOU }), [
    { text: 'Acute kidney injury', type: 'problem' },
    { text: 'fluids', type: 'drug' },
    { text: 'furosemide', type: 'drug' },
  ]);
});

test('BILOU repair: L-X closes, U-X inside an open span ends it, B without L ends at the next O', async () => {
  const text = 'sepsis shock fever cough';
  // L- with nothing open is a one-word span; U- closes the open B; B- without L ends before O
  const tags = ['L-PROBLEM', 'B-PROBLEM', 'U-PROBLEM', 'B-PROBLEM'];
  assert.deepEqual(await decode(text, tagSequence(text, tags), { labels: BILOU }), [
    { text: 'sepsis', type: 'problem' },
    { text: 'shock', type: 'problem' },
    { text: 'fever', type: 'problem' },
    { text: 'cough', type: 'problem' },
  ]);
});

test('IO scheme: consecutive words of one bare label form one span', async () => {
  const text = 'history of heart failure noted';
  const tags = ['O', 'O', 'PROBLEM', 'PROBLEM', 'O'];
  assert.deepEqual(await decode(text, tagSequence(text, tags), { labels: ['O', 'PROBLEM'] }), [{ text: 'heart failure', type: 'problem' }]);
});

test('sub-word pieces are merged into words and the word takes its first piece label', async () => {
  // "pneumothorax" is split into pneu|moth|orax; later pieces say B-TEST but the first says B-PROBLEM
  const text = 'Small pneumothorax seen';
  const tag = (p: PieceContext) => (p.word === 'pneumothorax' ? (p.first ? 'B-PROBLEM' : 'B-TEST') : 'O');
  assert.deepEqual(await decode(text, tag), [{ text: 'pneumothorax', type: 'problem' }]);
});

test('a word whose first piece is O is outside every span, even when later pieces are tagged', async () => {
  const text = 'metoprolol';
  const tag = (p: PieceContext) => (p.first ? 'O' : 'B-TREATMENT');
  assert.deepEqual(await decode(text, tag), []);
});

test('punctuation is its own word: a comma tagged O splits two problems and stays out of both', async () => {
  const text = 'fever, cough';
  assert.deepEqual(await decode(text, tagSequence(text, ['B-PROBLEM', 'O', 'I-PROBLEM'])), [
    { text: 'fever', type: 'problem' },
    { text: 'cough', type: 'problem' },
  ]);
});

test('BPE-style tokens carrying their leading space start a new word, and the space is not in the span', () => {
  const text = 'chest pain';
  // GPT-style offsets: "chest" [0,5), " pain" [5,10) with the space inside the token
  const tokens: StitchedToken[] = [
    { start: 0, end: 5, label: 1, prob: 0.9 },
    { start: 5, end: 10, label: 2, prob: 0.7 },
  ];
  const words = mergeWords(text, tokens);
  assert.deepEqual(words.map((w) => text.slice(w.start, w.end)), ['chest', 'pain']);
  const spans = wordsToSpans(words, TOKEN_LABELS);
  assert.equal(spans.length, 1);
  assert.equal(text.slice(spans[0]!.start, spans[0]!.end), 'chest pain');
});

test('confidence is the mean of the words\' first-piece max softmax', () => {
  const text = 'renal failure';
  const spans = wordsToSpans(
    [
      { start: 0, end: 5, label: 1, prob: 0.9 },
      { start: 6, end: 13, label: 2, prob: 0.5 },
    ],
    TOKEN_LABELS,
  );
  assert.equal(spans.length, 1);
  assert.ok(Math.abs(spans[0]!.score - 0.7) < 1e-9);
  assert.equal(text.slice(spans[0]!.start, spans[0]!.end), 'renal failure');
});

test('softmax confidence comes from the logits', async () => {
  const text = 'sepsis';
  const m = new FakeModel({ tag: () => 'B-PROBLEM' });
  const windows = m.windows(text);
  const out = await m.run(windows.map((w) => w.ids), ['logits']);
  const [span] = decodeTokenLogits(text, windows, out.map((o) => o['logits']!), m.info.labels);
  // logit 6 for the label, 0 for the six others
  const expected = Math.exp(6) / (Math.exp(6) + 6);
  assert.ok(Math.abs(span!.score - expected) < 1e-6);
});

test('stitching: each token takes its label from the window where it is most central', async () => {
  const text = 'Patient with community acquired pneumonia and acute hypoxic respiratory failure was given oxygen and azithromycin today';
  const words = [...text.matchAll(/\S+/g)].map((m) => m[0]);
  const truth: Record<string, string> = {
    community: 'B-PROBLEM', acquired: 'I-PROBLEM', pneumonia: 'I-PROBLEM', acute: 'B-PROBLEM', hypoxic: 'I-PROBLEM',
    respiratory: 'I-PROBLEM', failure: 'I-PROBLEM', oxygen: 'B-TREATMENT', azithromycin: 'B-TREATMENT',
  };
  // windows of 8 content tokens overlapping by 4; tokens at a window's edge get a wrong label
  const tag = (p: PieceContext) => {
    if (!p.first) return 'O';
    const atEdge = p.position === 0 || p.position === p.windowLength - 1;
    if (atEdge) return 'B-TEST';
    return truth[p.word] ?? 'O';
  };
  const spans = await decode(text, tag, { windowTokens: 10, stride: 4 });
  assert.ok(words.length > 8);
  // the very first and last tokens of the note are edges of every window that holds them
  assert.deepEqual(spans, [
    { text: 'Patient', type: 'test' },
    { text: 'community acquired pneumonia', type: 'problem' },
    { text: 'acute hypoxic respiratory failure', type: 'problem' },
    { text: 'oxygen', type: 'treatment' },
    { text: 'azithromycin', type: 'treatment' },
    { text: 'today', type: 'test' },
  ]);
});

test('a single window and the same note in overlapping windows decode the same', async () => {
  const text = 'Denies chest pain. Troponin negative. Started heparin drip for pulmonary embolism.';
  const table: Record<string, string> = { chest: 'B-PROBLEM', pain: 'I-PROBLEM', troponin: 'B-TEST', heparin: 'B-TREATMENT', pulmonary: 'B-PROBLEM', embolism: 'I-PROBLEM' };
  const tag = (p: PieceContext) => (p.first ? table[p.word.toLowerCase()] ?? 'O' : 'O');
  assert.deepEqual(await decode(text, tag, { windowTokens: 7, stride: 2 }), await decode(text, tag));
});

test('bad input: logits of the wrong shape are refused with the expected shape named', () => {
  const windows = new FakeModel().windows('fever');
  assert.throws(
    () => decodeTokenLogits('fever', windows, [{ data: new Float32Array(3), dims: [3] }], TOKEN_LABELS),
    (e: unknown) => e instanceof EngineError && e.code === 'unsupported-model' && /\[tokens, 7\]/.test(e.message),
  );
});

test('bad input: a model without id2label cannot be decoded', () => {
  assert.throws(() => decodeTokenLogits('x', [], [], []), (e: unknown) => e instanceof EngineError && /id2label/.test(e.message));
});

// ---- byte-level pieces of one character (issue: "fièvre" gave [0,3) and [2,6)) ----

test('pieces that share a character are one word: spans never overlap or repeat', () => {
  // a byte-level BPE split inside "è": both pieces carry the whole character's span
  const text = 'fièvre';
  const tokens: StitchedToken[] = [
    { start: 0, end: 3, label: 1, prob: 0.9 },
    { start: 2, end: 6, label: 1, prob: 0.8 },
  ];
  assert.deepEqual(mergeWords(text, tokens), [{ start: 0, end: 6, label: 1, prob: 0.9 }]);
  // an emoji in three pieces, each spanning both UTF-16 units
  const emoji = 'a 🫀 b';
  const pieces: StitchedToken[] = [
    { start: 0, end: 1, label: 0, prob: 1 },
    { start: 1, end: 4, label: 1, prob: 1 },
    { start: 2, end: 4, label: 1, prob: 1 },
    { start: 2, end: 4, label: 1, prob: 1 },
    { start: 4, end: 6, label: 0, prob: 1 },
  ];
  assert.deepEqual(mergeWords(emoji, pieces).map((w) => [w.start, w.end]), [[0, 1], [2, 4], [5, 6]]);
});

test('with the real ModernBERT tokenizer, multi-byte characters never give overlapping or repeated entity spans', (t) => {
  const dir = path.resolve(__dirname, '../../..', '../shared/data/tokenizers/modernbert');
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) return t.skip(`no ModernBERT tokenizer at ${dir}`);
  const tok = loadTokenizerFromFolder(dir);
  const labels = ['O', 'B-PROBLEM', 'I-PROBLEM'];
  const texts = ['FIÈVRE', 'fièvre', 'Pt has fièvre and 🫀 pain', 'Ærø Œdème Übelkeit', '発熱あり', '👩‍⚕️ nurse 🫀🫁', 'naïve café résumé'];
  for (const text of texts) {
    const enc = tok.encode(text, { addSpecialTokens: false });
    // the model tags every piece as the start of a problem: each word must still be one span
    const tokens: StitchedToken[] = enc.offsets.map(([start, end]) => ({ start, end, label: 1, prob: 0.9 }));
    const spans = wordsToSpans(mergeWords(text, tokens), labels);
    const seen = new Set<string>();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!;
      assert.ok(s.start < s.end, `${text}: empty span`);
      assert.ok(!seen.has(`${s.start},${s.end}`), `${text}: span [${s.start},${s.end}) repeated`);
      seen.add(`${s.start},${s.end}`);
      if (i > 0) assert.ok(spans[i - 1]!.end <= s.start, `${text}: [${spans[i - 1]!.start},${spans[i - 1]!.end}) overlaps [${s.start},${s.end})`);
    }
    // letters-only words come out whole
    for (const m of text.matchAll(/\p{L}+/gu)) {
      assert.ok(spans.some((s) => s.start === m.index && s.end === m.index + m[0].length), `${text}: "${m[0]}" is not one span (${JSON.stringify(spans.map((s) => text.slice(s.start, s.end)))})`);
    }
  }
});
