import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineError } from '../../../src/engine/errors';
import { loadTokenizerFromFolder } from '../../../src/engine/text/loadTokenizer';
import { ClinicalTokenizer } from '../../../src/engine/text/tokenizer';
import { wordPieceTokenizerJson } from '../../../src/engine/text/wordPieceVocab';

/** A BioClinicalBERT-style vocabulary, small enough to read: specials, whole words, '##' pieces. */
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'pt', '.', 'denies', 'chest', 'pain', ';', 'sao', 'pau', '##lo', 'c', '##hest', '\u00b5', '##g', '/', 'ml'];

function withVocabFolder<T>(config: object | null, fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-wp-'));
  try {
    fs.writeFileSync(path.join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
    if (config) fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function spans(tok: ClinicalTokenizer, text: string): Array<[string, string]> {
  const enc = tok.encode(text, { addSpecialTokens: false });
  return enc.ids.map((id, i) => [tok.tokenString(id)!, text.slice(...enc.offsets[i])]);
}

test('a vocab.txt-only folder lowercases and strips accents, with offsets into the original casing', () => {
  withVocabFolder(null, (dir) => {
    const tok = loadTokenizerFromFolder(dir);
    assert.equal(tok.kind, 'char-level');
    assert.deepEqual([tok.clsId, tok.sepId, tok.padId, tok.maskId, tok.unkId, tok.vocabSize], [2, 3, 0, 4, 1, VOCAB.length]);
    assert.deepEqual(spans(tok, 'Pt. denies CHEST pain; São Paulo'), [
      ['pt', 'Pt'],
      ['.', '.'],
      ['denies', 'denies'],
      ['chest', 'CHEST'],
      ['pain', 'pain'],
      [';', ';'],
      ['sao', 'São'],
      ['pau', 'Pau'],
      ['##lo', 'lo'],
    ]);
  });
});

test('decomposed accents, unknown words and special tokens get the right spans', () => {
  withVocabFolder(null, (dir) => {
    const tok = loadTokenizerFromFolder(dir);
    const text = 'Sa\u0303o  xyzzy\tchest';
    assert.deepEqual(spans(tok, text), [
      ['sao', 'Sa\u0303o'],
      ['[UNK]', 'xyzzy'],
      ['chest', 'chest'],
    ]);
    const enc = tok.encode('pt [MASK] pain');
    assert.deepEqual(enc.ids, [2, 5, 4, 9, 3]);
    assert.deepEqual(enc.offsets, [[0, 0], [0, 2], [3, 9], [10, 14], [14, 14]]);
  });
});

test('do_lower_case false in tokenizer_config.json keeps case: CHEST is unknown but still placed', () => {
  withVocabFolder({ do_lower_case: false }, (dir) => {
    const tok = loadTokenizerFromFolder(dir);
    assert.deepEqual(spans(tok, 'denies CHEST'), [
      ['denies', 'denies'],
      ['[UNK]', 'CHEST'],
    ]);
  });
});

test('µ (micro sign) and control characters: offsets still point at the right characters', () => {
  withVocabFolder(null, (dir) => {
    const tok = loadTokenizerFromFolder(dir);
    // U+0007 is dropped by clean_text; the unknown "5" is still placed
    const text = '5 \u00b5g/mL\u0007 chest';
    assert.deepEqual(spans(tok, text), [
      ['[UNK]', '5'],
      ['\u00b5', '\u00b5'],
      ['##g', 'g'],
      ['/', '/'],
      ['ml', 'mL'],
      ['chest', 'chest'],
    ]);
  });
});

test('Chinese characters are words of their own; each unknown one gets its own span', () => {
  withVocabFolder(null, (dir) => {
    const tok = loadTokenizerFromFolder(dir);
    assert.deepEqual(spans(tok, 'pt中文pain'), [
      ['pt', 'pt'],
      ['[UNK]', '中'],
      ['[UNK]', '文'],
      ['pain', 'pain'],
    ]);
  });
});

test('vocab.txt without [CLS] is refused', () => {
  assert.throws(
    () => wordPieceTokenizerJson('[PAD]\n[UNK]\n[SEP]\nword\n'),
    (e: unknown) => e instanceof EngineError && e.code === 'bad-tokenizer' && /\[CLS\]/.test(e.message),
  );
});
