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

const modern = { ...bert, model_type: 'modernbert' };

function refused(cfg: object, code: string, pattern: RegExp): void {
  assert.throws(() => parseConfig(JSON.stringify(cfg)), (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a config.json without model_type says so, instead of printing "undefined"', () => {
  const { model_type: _t, ...untyped } = bert;
  refused(untyped, 'bad-config', /config\.json has no "model_type"; add "model_type": "bert" or "modernbert"/);
  assert.throws(() => parseConfig(JSON.stringify(untyped)), (e: unknown) => !/undefined/.test((e as Error).message));
  refused({ ...bert, model_type: 7 }, 'unsupported-model', /model_type 7/);
});

test('sizes must be whole numbers of at least 1, named as config.json spells them', () => {
  for (const key of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size']) {
    for (const value of [0, -4, 2.5]) {
      refused({ ...bert, [key]: value }, 'bad-config', new RegExp(`"${key}" must be a whole number of at least 1 \\(it is ${value}\\)`));
    }
  }
  assert.throws(() => parseConfig(JSON.stringify({ ...bert, hidden_size: 0 })), (e: unknown) => !/hiddenSize|[a-z][A-Z]/.test((e as Error).message));
  for (const key of ['local_attention', 'global_attn_every_n_layers']) refused({ ...modern, [key]: 0 }, 'bad-config', new RegExp(`"${key}" must be a whole number`));
});

test('epsilons and rotary bases must be above zero: a negative eps or a zero theta makes every output NaN', () => {
  refused({ ...modern, norm_eps: -1 }, 'bad-config', /"norm_eps" must be greater than 0 \(it is -1\)/);
  refused({ ...bert, layer_norm_eps: 0 }, 'bad-config', /"layer_norm_eps" must be greater than 0/);
  refused({ ...modern, global_rope_theta: 0 }, 'bad-config', /"global_rope_theta" must be greater than 0/);
  refused({ ...modern, local_rope_theta: -10 }, 'bad-config', /"local_rope_theta" must be greater than 0/);
  refused({ ...modern, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 0 } } }, 'bad-config', /rope_parameters\.full_attention\.rope_theta must be a number greater than 0/);
});

test('ModernBERT: local_rope_theta null falls back to the global theta, as transformers does', () => {
  const c = parseConfig(JSON.stringify({ ...modern, global_rope_theta: 80000, local_rope_theta: null }));
  assert.equal(c.modernbert?.localRopeTheta, 80000);
  assert.equal(c.modernbert?.globalRopeTheta, 80000);
  assert.equal(parseConfig(JSON.stringify(modern)).modernbert?.localRopeTheta, 10000, 'absent: the default');
});

test('ModernBERT: rope_scaling other than the default is refused, not converted without the scaling', () => {
  refused({ ...modern, rope_scaling: { rope_type: 'linear', factor: 2 } }, 'unsupported-model', /rope_scaling "linear"/);
  refused({ ...modern, rope_scaling: { type: 'dynamic', factor: 2 } }, 'unsupported-model', /rope_scaling "dynamic"/);
  assert.equal(parseConfig(JSON.stringify({ ...modern, rope_scaling: null })).modelType, 'modernbert');
  assert.equal(parseConfig(JSON.stringify({ ...modern, rope_scaling: { rope_type: 'default' } })).modelType, 'modernbert');
  refused({ ...modern, rope_parameters: { sliding_attention: { rope_type: 'yarn', rope_theta: 10000 } } }, 'unsupported-model', /rope_type "yarn"/);
});

test('ModernBERT: layer_types must name every layer, and heads need an even size for rotary embeddings', () => {
  refused({ ...modern, layer_types: ['full_attention'] }, 'bad-config', /"layer_types" must list .* for each of the 2 layers/);
  refused({ ...modern, layer_types: ['full_attention', 'chunked_attention'] }, 'bad-config', /"layer_types"/);
  refused({ ...modern, hidden_size: 36, num_attention_heads: 4 }, 'bad-config', /even head size/);
});

test('pad_token_id null is accepted, as transformers allows', () => {
  assert.equal(parseConfig(JSON.stringify({ ...bert, pad_token_id: null })).padTokenId, 0);
});
