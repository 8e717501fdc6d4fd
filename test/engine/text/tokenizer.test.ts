import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError } from '../../../src/engine/errors';
import { loadTokenizerFromFolder } from '../../../src/engine/text/loadTokenizer';
import { makeTestTokenizerJson } from '../../../src/engine/text/testTokenizer';
import { ClinicalTokenizer } from '../../../src/engine/text/tokenizer';
import { assertOffsetsSpellTheText } from './offsetChecks';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (json: object, config: object) => { encode(t: string, o?: object): { ids: number[] } };
};

const MODERNBERT_DIR = path.resolve(__dirname, '../../..', '../shared/data/tokenizers/modernbert');
const hasModernBert = fs.existsSync(path.join(MODERNBERT_DIR, 'tokenizer.json'));

/** Text that has broken offset code before: accents both ways, µ, ≥, emoji, ZWJ sequences, CRLF, tabs, space runs. */
const HARD_TEXTS: Record<string, string> = {
  'precomposed é': 'Résumé: café au lait spots, pt from São Paulo.',
  'decomposed e + U+0301': 'Re\u0301sume\u0301: cafe\u0301 au lait spots.',
  'micro and comparison signs': 'Vancomycin 15 µg/mL, goal trough ≥ 15, Cr ≤1.2, T 38.5 °C',
  'emoji as surrogate pairs': 'Heart 🫀 ok; pain 😣 8/10 🫀🫀',
  'ZWJ sequence': 'Family: 👨‍👩‍👧 at bedside; 🏳️‍🌈 pin.',
  'CRLF and tabs': 'HPI:\r\n\tPt denies CP.\r\n\t\tBP 120/80\r\n',
  'runs of spaces': 'Exam:    Gen: NAD.          CV: RRR.' + ' '.repeat(40) + 'end   ',
  'spaces at both ends': '   leading and trailing   ',
  'literal special token': 'masked word: [MASK] and [CLS] inside text',
  'lone surrogate': 'broken \ud83d text',
};

function longNote(chars: number): string {
  const sentences = Object.values(HARD_TEXTS).concat(['Metformin 500 mg PO BID. ', 'Assessment/Plan:\r\n  1. CHF -- diurese.\n']);
  let out = '';
  for (let i = 0; out.length < chars; i++) out += sentences[(i * 7) % sentences.length] + (i % 3 ? ' ' : '\n');
  return out;
}

const libraries = new Map<object, InstanceType<typeof Tokenizer>>();
/** The ids @huggingface/tokenizers itself gives, [CLS] and [SEP] included. */
function libraryIds(json: object, text: string): number[] {
  let lib = libraries.get(json);
  if (!lib) libraries.set(json, (lib = new Tokenizer(json, {})));
  return lib.encode(text, { add_special_tokens: true }).ids;
}

const testJson = makeTestTokenizerJson();
const testTok = new ClinicalTokenizer(testJson, {});

for (const [name, text] of Object.entries(HARD_TEXTS)) {
  test(`test tokenizer: offsets spell the text (${name})`, () => {
    const enc = testTok.encode(text);
    assertOffsetsSpellTheText(testTok, text, enc);
    assert.deepEqual(enc.ids, libraryIds(testJson, text), 'ids differ from the library');
  });
}

test('a decomposed accent and its base letter share one span, covering both code units', () => {
  const text = 'cafe\u0301';
  const enc = testTok.encode(text, { addSpecialTokens: false });
  assert.ok(enc.offsets.every(([s]) => s !== 4), 'no token may start at the combining mark');
  const covering = enc.offsets.filter(([s, e]) => s <= 3 && e >= 5);
  assert.ok(covering.length > 0, 'some token covers e + U+0301');
  assert.equal(Math.max(...enc.offsets.map(([, e]) => e)), 5);
});

test('a token holding part of an emoji gets the whole emoji (both UTF-16 units)', () => {
  const text = 'a🫀b';
  const enc = testTok.encode(text, { addSpecialTokens: false });
  const emojiTokens = enc.offsets.filter(([s, e]) => s < 3 && e > 1);
  assert.ok(emojiTokens.length >= 1);
  for (const span of emojiTokens) assert.deepEqual(span, [1, 3]);
});

test('specials are empty spans at the ends; the empty string gives just [CLS][SEP]', () => {
  const text = 'Pt denies chest pain.';
  const enc = testTok.encode(text);
  assert.equal(enc.ids[0], testTok.clsId);
  assert.equal(enc.ids.at(-1), testTok.sepId);
  assert.deepEqual(enc.offsets[0], [0, 0]);
  assert.deepEqual(enc.offsets.at(-1), [text.length, text.length]);
  assert.deepEqual(enc.special, enc.ids.map((_, i) => i === 0 || i === enc.ids.length - 1));

  const empty = testTok.encode('');
  assert.deepEqual(empty.ids, [testTok.clsId, testTok.sepId]);
  assert.deepEqual(empty.offsets, [[0, 0], [0, 0]]);
  assert.deepEqual(testTok.encode('', { addSpecialTokens: false }), { ids: [], offsets: [], special: [] });
});

test('without special tokens, the content tokens are the same with the same offsets', () => {
  const text = HARD_TEXTS['ZWJ sequence'];
  const withSpecials = testTok.encode(text);
  const content = testTok.encode(text, { addSpecialTokens: false });
  assert.deepEqual(content.ids, withSpecials.ids.slice(1, -1));
  assert.deepEqual(content.offsets, withSpecials.offsets.slice(1, -1));
});

test('[MASK] strips the space before it (lstrip), and its span is the literal text', () => {
  const text = 'pt denies   [MASK] pain';
  const enc = testTok.encode(text, { addSpecialTokens: false });
  const k = enc.ids.indexOf(testTok.maskId!);
  assert.ok(k >= 0);
  assert.equal(text.slice(...enc.offsets[k]), '[MASK]');
});

test('a 100k-character note: offsets hold end to end, ids match the library', () => {
  const text = longNote(100_000);
  const enc = testTok.encode(text);
  assertOffsetsSpellTheText(testTok, text, enc);
  assert.deepEqual(enc.ids, libraryIds(testJson, text));
  assert.equal(enc.offsets.at(-2)![1], text.length);
});

test('ModernBERT tokenizer: special ids and vocabulary size', (t) => {
  if (!hasModernBert) return t.skip(`no ModernBERT tokenizer at ${MODERNBERT_DIR}`);
  const tok = loadTokenizerFromFolder(MODERNBERT_DIR);
  assert.equal(tok.kind, 'byte-level');
  assert.deepEqual([tok.clsId, tok.sepId, tok.padId, tok.maskId], [50281, 50282, 50283, 50284]);
  assert.equal(tok.vocabSize, 50368);
  assert.equal(tok.tokenString(50281), '[CLS]');
});

test('ModernBERT tokenizer: offsets spell the text and ids equal the library on every hard text', (t) => {
  if (!hasModernBert) return t.skip(`no ModernBERT tokenizer at ${MODERNBERT_DIR}`);
  const tok = loadTokenizerFromFolder(MODERNBERT_DIR);
  const json = JSON.parse(fs.readFileSync(path.join(MODERNBERT_DIR, 'tokenizer.json'), 'utf8'));
  for (const text of [...Object.values(HARD_TEXTS), longNote(100_000), '']) {
    const enc = tok.encode(text);
    assertOffsetsSpellTheText(tok, text, enc);
    assert.deepEqual(enc.ids, libraryIds(json, text));
  }
});

test('ModernBERT tokenizer: a run of spaces is one added token spanning exactly those spaces', (t) => {
  if (!hasModernBert) return t.skip(`no ModernBERT tokenizer at ${MODERNBERT_DIR}`);
  const tok = loadTokenizerFromFolder(MODERNBERT_DIR);
  const text = 'BP      120/80';
  const enc = tok.encode(text, { addSpecialTokens: false });
  const spaces = enc.offsets.map(([s, e]) => text.slice(s, e)).filter((s) => /^ +$/.test(s));
  assert.ok(spaces.some((s) => s.length >= 5), `expected a run of spaces as one token, got ${JSON.stringify(spaces)}`);
});

test('RoBERTa-style trim_offsets: spans lose the leading space, ModernBERT-style templates keep it', () => {
  const text = 'Pt denies  chest pain';
  const kept = testTok.encode(text, { addSpecialTokens: false });
  assert.ok(kept.offsets.some(([s, e]) => text.slice(s, e) === ' denies'));
  const roberta = new ClinicalTokenizer({
    ...testJson,
    post_processor: { type: 'RobertaProcessing', cls: ['[CLS]', 2], sep: ['[SEP]', 3], trim_offsets: true, add_prefix_space: false },
  });
  const enc = roberta.encode(text);
  assert.deepEqual(enc.ids, testTok.encode(text).ids);
  const slices = enc.offsets.map(([s, e]) => text.slice(s, e));
  assert.ok(slices.includes('denies') && !slices.includes(' denies'));
  assert.ok(slices.every((s) => !s.startsWith(' ') && !s.endsWith(' ')));
});

test('Unigram with Metaspace (SentencePiece-style): words and unknown pieces are placed; a bare ▁ is an empty span', () => {
  const vocab: Array<[string, number]> = [
    ['[PAD]', 0], ['[UNK]', 0], ['[CLS]', 0], ['[SEP]', 0], ['\u2581', -2], ['\u2581pt', -1], ['\u2581denies', -1],
    ['\u2581chest', -1], ['\u2581pa', -2], ['in', -2], ['.', -1],
  ];
  const tok = new ClinicalTokenizer({
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: true },
    post_processor: (testJson as { post_processor: unknown }).post_processor,
    decoder: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content, id) => ({ id, content, special: true, normalized: false })),
    model: { type: 'Unigram', unk_id: 1, vocab },
  });
  const text = 'pt  denies chest pain. xq';
  const enc = tok.encode(text, { addSpecialTokens: false });
  assert.deepEqual(
    enc.ids.map((id, i) => [tok.tokenString(id), text.slice(...enc.offsets[i])]),
    [['\u2581pt', 'pt'], ['\u2581', ''], ['\u2581denies', 'denies'], ['\u2581chest', 'chest'], ['\u2581pa', 'pa'], ['in', 'in'], ['.', '.'], ['\u2581', ''], ['[UNK]', 'xq']],
  );
});

// ---- bad input ----

function assertTokenizerError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof EngineError && e.code === code && pattern.test(e.message));
}

test('not a tokenizer.json: clear bad-tokenizer errors', () => {
  assertTokenizerError(() => new ClinicalTokenizer('hello'), 'bad-tokenizer', /not a JSON object/);
  assertTokenizerError(() => new ClinicalTokenizer({}), 'bad-tokenizer', /no "model" section/);
  assertTokenizerError(() => new ClinicalTokenizer({ model: { type: 'Legacy', vocab: {} } }), 'bad-tokenizer', /"Legacy" model/);
  assertTokenizerError(() => new ClinicalTokenizer({ ...testJson, added_tokens: [{ content: 'x' }] }), 'bad-tokenizer', /added token #0/);
});

test('a model type that disagrees with the vocabulary\'s shape is refused in words, never "text is not iterable"', () => {
  const model = testJson.model as { vocab: Record<string, number>; merges: string[] };
  const asPairs = Object.entries(model.vocab).map(([k]) => [k, -1]);
  const cases: Array<[object, RegExp]> = [
    [{ ...model, type: 'Unigram' }, /says its model is Unigram but its vocabulary is a \{token: id\} map/],
    [{ type: 'BPE', vocab: asPairs, merges: [] }, /says its model is BPE but its vocabulary is a list of \[piece, score\] pairs/],
    [{ type: 'WordPiece', vocab: asPairs, unk_token: '[UNK]' }, /says its model is WordPiece but its vocabulary is a list/],
    [{ type: 'Unigram', vocab: [['a', 'b']] }, /not a list of \[piece, score\] pairs/],
    [{ ...model, vocab: { ...model.vocab, odd: 'x' } }, /not a map of tokens to whole-number ids/],
    [{ ...model, merges: 'a b' }, /"merges" is not a list/],
  ];
  for (const [m, pattern] of cases) {
    assert.throws(() => new ClinicalTokenizer({ ...testJson, model: m }), (e: unknown) => {
      assert.ok(e instanceof EngineError, String(e));
      assert.equal(e.code, 'bad-tokenizer');
      assert.match(e.message, pattern);
      assert.doesNotMatch(e.message, /iterable|undefined/);
      return true;
    });
  }
});

test('a tokenizer without [CLS]/[SEP] or [PAD] is refused', () => {
  const model = testJson.model as { vocab: Record<string, number> };
  const vocab = Object.fromEntries(Object.entries(model.vocab).filter(([k]) => !k.startsWith('[')));
  const noSpecials = { ...testJson, added_tokens: [], post_processor: null, model: { ...model, vocab } };
  assertTokenizerError(() => new ClinicalTokenizer(noSpecials), 'bad-tokenizer', /\[CLS\]\/\[SEP\]/);
  const noPad = { ...testJson, added_tokens: (testJson.added_tokens as Array<{ content: string }>).filter((t) => t.content !== '[PAD]'), model: { ...model, vocab: { ...vocab, '[CLS]': 2, '[SEP]': 3 } } };
  assertTokenizerError(() => new ClinicalTokenizer(noPad), 'bad-tokenizer', /padding token/);
});

test('model folders: missing tokenizer, truncated JSON', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-tok-'));
  try {
    assertTokenizerError(() => loadTokenizerFromFolder(dir), 'missing-file', /no tokenizer\.json/);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(testJson).slice(0, 500));
    assertTokenizerError(() => loadTokenizerFromFolder(dir), 'bad-tokenizer', /not valid JSON/);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(testJson));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), '{');
    assertTokenizerError(() => loadTokenizerFromFolder(dir), 'bad-tokenizer', /tokenizer_config\.json is not valid JSON/);
    fs.rmSync(path.join(dir, 'tokenizer_config.json'));
    assert.equal(loadTokenizerFromFolder(dir).vocabSize, 512);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a byte-level vocabulary missing a byte: the library drops that byte, and the other tokens still land right', () => {
  const model = testJson.model as { vocab: Record<string, number>; merges: string[] };
  const vocab = Object.fromEntries(Object.entries(model.vocab).filter(([k]) => k !== '~'));
  const merges = model.merges.filter((m) => !m.includes('~'));
  const tok = new ClinicalTokenizer({ ...testJson, model: { ...model, vocab, merges } });
  const text = 'a ~ b';
  const enc = tok.encode(text, { addSpecialTokens: false });
  assert.deepEqual(enc.offsets.map(([s, e]) => text.slice(s, e)), ['a', ' ', ' b']);
});

test('encode refuses a non-string', () => {
  assertTokenizerError(() => testTok.encode(42 as unknown as string), 'bad-input', /must be a string/);
});
