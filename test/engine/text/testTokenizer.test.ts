import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BYTE_TO_CHAR } from '../../../src/engine/text/byteLevel';
import { loadTokenizerFromFolder } from '../../../src/engine/text/loadTokenizer';
import { makeTestTokenizerJson, writeTestTokenizerFiles } from '../../../src/engine/text/testTokenizer';
import { ClinicalTokenizer } from '../../../src/engine/text/tokenizer';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as {
  Tokenizer: new (json: object, config: object) => { encode(t: string): { ids: number[] }; decode(ids: number[], o?: object): string };
};

interface BpeJson {
  added_tokens: Array<{ id: number; content: string; special: boolean }>;
  model: { vocab: Record<string, number>; merges: string[] };
  normalizer: unknown;
  pre_tokenizer: { type: string };
}

const json = makeTestTokenizerJson() as unknown as BpeJson;

test('exactly 512 ids: 5 specials, the 256 byte symbols in byte order, 251 learned tokens', () => {
  const ids = Object.values(json.model.vocab).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 512 }, (_, i) => i));
  assert.deepEqual(json.added_tokens.map((t) => [t.id, t.content, t.special]), [
    [0, '[PAD]', true],
    [1, '[UNK]', true],
    [2, '[CLS]', true],
    [3, '[SEP]', true],
    [4, '[MASK]', true],
  ]);
  for (let b = 0; b < 256; b++) assert.equal(json.model.vocab[BYTE_TO_CHAR[b]], 5 + b);
  assert.ok(json.model.merges.length >= 251);
  assert.deepEqual(json.normalizer, { type: 'NFC' });
  assert.equal(json.pre_tokenizer.type, 'ByteLevel');
});

test('the same tokenizer on every call (deterministic training)', () => {
  assert.deepEqual(makeTestTokenizerJson(), json);
});

test('it learned clinical words and loads in @huggingface/tokenizers', () => {
  const lib = new Tokenizer(json, {});
  const ids = lib.encode('Patient denies chest pain').ids;
  assert.equal(ids.length, 6, 'four whole words, with [CLS] and [SEP]');
  assert.equal(new ClinicalTokenizer(json).vocabSize, 512);
});

test('any text tokenizes without [UNK] and decodes back', () => {
  const lib = new Tokenizer(json, {});
  let text = '';
  for (let cp = 0x20; cp < 0x3000; cp += 7) text += String.fromCodePoint(cp);
  text += ' 🫀 👨‍👩‍👧 \u0000\u0007\r\n\t';
  const ids = lib.encode(text).ids;
  assert.ok(!ids.slice(1, -1).includes(1), 'no [UNK]');
  assert.equal(lib.decode(ids, { skip_special_tokens: true }), text.normalize('NFC'));
});

test('writeTestTokenizerFiles writes a folder the engine loads', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-testtok-'));
  try {
    writeTestTokenizerFiles(dir);
    const tok = loadTokenizerFromFolder(dir);
    assert.deepEqual([tok.vocabSize, tok.clsId, tok.sepId, tok.padId, tok.maskId, tok.unkId], [512, 2, 3, 0, 4, 1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
