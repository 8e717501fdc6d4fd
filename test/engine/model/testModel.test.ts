import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/engine/model/config';
import { readSafetensors, tensorAsFloat32 } from '../../../src/engine/model/safetensors';
import { makeTestModel, testSequenceLabels, testTokenLabels } from '../../../src/engine/model/testModel';

const root = mkdtempSync(join(tmpdir(), 'cmb-testmodel-'));

test('the same seed gives byte-identical checkpoints; another seed does not', () => {
  const a = makeTestModel({ arch: 'modernbert', head: 'token', out: join(root, 'a') });
  const b = makeTestModel({ arch: 'modernbert', head: 'token', out: join(root, 'b') });
  const c = makeTestModel({ arch: 'modernbert', head: 'token', out: join(root, 'c'), seed: 99 });
  assert.ok(readFileSync(a.safetensorsPath).equals(readFileSync(b.safetensorsPath)));
  assert.ok(!readFileSync(a.safetensorsPath).equals(readFileSync(c.safetensorsPath)));
  assert.equal(readFileSync(a.configPath, 'utf8'), readFileSync(b.configPath, 'utf8'));
});

test('config.json is flagged as a test model, parses, and names the head labels', () => {
  const tok = makeTestModel({ arch: 'bert', head: 'token', out: join(root, 'tok') });
  const cfg = parseConfig(readFileSync(tok.configPath, 'utf8'));
  assert.equal(cfg.raw['cmb_test_model'], true);
  assert.deepEqual(cfg.id2label, testTokenLabels);
  assert.deepEqual(cfg.architectures, ['BertForTokenClassification']);
  const seq = makeTestModel({ arch: 'modernbert', head: 'sequence', out: join(root, 'seq') });
  const mcfg = parseConfig(readFileSync(seq.configPath, 'utf8'));
  assert.deepEqual(mcfg.id2label, testSequenceLabels);
  assert.equal(mcfg.modernbert?.globalAttnEveryNLayers, 2);
  assert.equal(mcfg.modernbert?.localAttention, 8);
  assert.equal(mcfg.numHiddenLayers, 3);
});

test('tiny sizes and transformers-style initialisation: weights ~ N(0, 0.02), LayerNorm 1 and 0', () => {
  const m = makeTestModel({ arch: 'bert', head: 'mlm', out: join(root, 'init') });
  const f = readSafetensors(m.safetensorsPath);
  const emb = tensorAsFloat32(f, 'bert.embeddings.word_embeddings.weight');
  assert.deepEqual(f.tensors.get('bert.embeddings.word_embeddings.weight')!.shape, [512, 32]);
  const mean = emb.reduce((a, b) => a + b, 0) / emb.length;
  const std = Math.sqrt(emb.reduce((a, b) => a + (b - mean) ** 2, 0) / emb.length);
  assert.ok(Math.abs(mean) < 0.002 && Math.abs(std - 0.02) < 0.002, `mean ${mean}, std ${std}`);
  assert.ok(tensorAsFloat32(f, 'bert.embeddings.LayerNorm.weight').every((v) => v === 1));
  assert.ok(tensorAsFloat32(f, 'bert.embeddings.LayerNorm.bias').every((v) => v === 0));
  // the MLM decoder is tied to the word embeddings, as transformers saves it
  assert.equal(f.tensors.has('cls.predictions.decoder.weight'), false);
});

test('a tokenizer.json handed in is written beside the weights', () => {
  const m = makeTestModel({ arch: 'bert', out: join(root, 'tokjson'), tokenizerJson: { model: { vocab: { a: 0 } } } });
  assert.deepEqual(JSON.parse(readFileSync(join(m.dir, 'tokenizer.json'), 'utf8')), { model: { vocab: { a: 0 } } });
});
