import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/engine/model/config';
import { EngineError } from '../../src/engine/errors';

const bert = { model_type: 'bert', vocab_size: 100, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, max_position_embeddings: 128 };

test('model_type decides the architecture, whatever the sizes say', () => {
  // Clinical ModernBERT's released config may say "bert" with ModernBERT-like sizes
  const c = parseConfig(JSON.stringify({ ...bert, vocab_size: 50368, max_position_embeddings: 8192 }));
  assert.equal(c.modelType, 'bert');
  assert.equal(c.modernbert, undefined);
  assert.equal(c.layerNormEps, 1e-12);
});

test('modernbert fields are read with transformers defaults', () => {
  const c = parseConfig(JSON.stringify({ ...bert, model_type: 'modernbert', global_rope_theta: 160000, local_attention: 64 }));
  assert.equal(c.modelType, 'modernbert');
  assert.equal(c.modernbert?.localAttention, 64);
  assert.equal(c.modernbert?.globalAttnEveryNLayers, 3);
  assert.equal(c.modernbert?.classifierPooling, 'cls');
  assert.equal(c.layerNormEps, 1e-5);
});

test('unsupported model_type is refused with a clear message', () => {
  assert.throws(() => parseConfig(JSON.stringify({ ...bert, model_type: 'roberta' })), (e: unknown) => {
    return e instanceof EngineError && e.code === 'unsupported-model' && /roberta/.test(e.message);
  });
});

test('missing sizes and invalid JSON are bad-config errors', () => {
  const { hidden_size: _h, ...noHidden } = bert;
  assert.throws(() => parseConfig(JSON.stringify(noHidden)), /hidden_size" is missing/);
  assert.throws(() => parseConfig('{not json'), (e: unknown) => e instanceof EngineError && e.code === 'bad-config');
  assert.throws(() => parseConfig(JSON.stringify({ ...bert, hidden_size: 30 })), /not a multiple/);
});

test('id2label becomes an ordered label list', () => {
  const c = parseConfig(JSON.stringify({ ...bert, id2label: { '1': 'B-PROBLEM', '0': 'O' } }));
  assert.deepEqual(c.id2label, ['O', 'B-PROBLEM']);
  assert.throws(() => parseConfig(JSON.stringify({ ...bert, id2label: { '5': 'O' } })), /id2label/);
});
