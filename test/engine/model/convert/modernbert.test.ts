import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modernBertLayout } from '../../../../src/engine/model/convert/modernbert';
import { parseConfig } from '../../../../src/engine/model/config';
import { testSequenceLabels, testTokenLabels } from '../../../../src/engine/model/testModel';
import { convertTestModel, diffFromReference, padBatch, runModel, sampleIds } from './convertedModel';

// 20 tokens: longer than the tiny model's local window (8), so the window matters
const batch = padBatch([sampleIds(20, 1), sampleIds(13, 2)]);
const tolerance = 1e-4;

for (const head of [undefined, 'mlm', 'token', 'sequence'] as const) {
  test(`ModernBERT ${head ?? 'encoder'}: the ONNX graph matches a float64 reference forward pass`, async () => {
    const c = await convertTestModel({ arch: 'modernbert', head });
    assert.deepEqual(c.session.inputNames, ['input_ids', 'attention_mask']);
    // every layer but the last is an output of its own, after the outputs the graph always had
    const layerOutputs = Array.from({ length: c.folder.config.numHiddenLayers - 1 }, (_, i) => `hidden_states.${i + 1}`);
    assert.deepEqual(c.session.outputNames, [...(head ? ['last_hidden_state', 'logits'] : ['last_hidden_state']), ...layerOutputs]);
    const out = await runModel(c, batch);
    assert.deepEqual(out['last_hidden_state']!.dims, [2, 20, 32]);
    if (head === 'mlm') assert.deepEqual(out['logits']!.dims, [2, 20, 512]);
    if (head === 'token') assert.deepEqual(out['logits']!.dims, [2, 20, testTokenLabels.length]);
    if (head === 'sequence') assert.deepEqual(out['logits']!.dims, [2, testSequenceLabels.length]);
    const d = await diffFromReference(c, batch);
    assert.ok(d.hidden <= tolerance, `last_hidden_state differs by ${d.hidden}`);
    assert.ok(d.logits <= tolerance, `logits differ by ${d.logits}`);
    assert.ok(d.layers <= tolerance, `hidden_states.<i> differ from the reference's layers by ${d.layers}`);
  });
}

test('ModernBERT: sequence classification pools the first token when classifier_pooling is "cls"', async () => {
  const cls = await convertTestModel({ arch: 'modernbert', head: 'sequence', configOverrides: { classifier_pooling: 'cls' } });
  const mean = await convertTestModel({ arch: 'modernbert', head: 'sequence', configOverrides: { classifier_pooling: 'mean' } });
  const d = await diffFromReference(cls, batch);
  assert.ok(d.logits <= tolerance, `logits differ by ${d.logits}`);
  const a = (await runModel(cls, batch))['logits']!.data as Float32Array;
  const b = (await runModel(mean, batch))['logits']!.data as Float32Array;
  assert.ok(Math.max(...a.map((x, i) => Math.abs(x - b[i]!))) > 1e-3, 'cls and mean pooling gave the same logits');
});

test('ModernBERT: a sequence gives the same outputs alone and padded in a batch with a longer one', async () => {
  const c = await convertTestModel({ arch: 'modernbert', head: 'sequence' });
  const alone = await runModel(c, padBatch([sampleIds(13, 2)]));
  const batched = await runModel(c, batch);
  const a = alone['last_hidden_state']!.data as Float32Array;
  const b = batched['last_hidden_state']!.data as Float32Array;
  let max = 0;
  for (let i = 0; i < 13 * 32; i++) max = Math.max(max, Math.abs(a[i]! - b[20 * 32 + i]!));
  assert.ok(max < 1e-5, `hidden states changed by ${max} when padded`);
  // mean pooling ignores the padding too
  const la = alone['logits']!.data as Float32Array;
  const lb = batched['logits']!.data as Float32Array;
  for (let i = 0; i < la.length; i++) assert.ok(Math.abs(la[i]! - lb[la.length + i]!) < 1e-5, 'sequence logits changed when padded');
});

test('ModernBERT: local layers attend only within the sliding window', async () => {
  // same weights and rotary thetas; only the window differs (8 tokens vs wider than any input)
  const windowed = await convertTestModel({ arch: 'modernbert' });
  const unbounded = await convertTestModel({ arch: 'modernbert', configOverrides: { local_attention: 1024 } });
  const maxDiff = async (b: ReturnType<typeof padBatch>) => {
    const a = (await runModel(windowed, b))['last_hidden_state']!.data as Float32Array;
    const u = (await runModel(unbounded, b))['last_hidden_state']!.data as Float32Array;
    return Math.max(...a.map((x, i) => Math.abs(x - u[i]!)));
  };
  // 5 tokens: every pair is within local_attention / 2 = 4 of each other
  assert.ok((await maxDiff(padBatch([sampleIds(5, 5)]))) < 1e-6, 'a window wider than the input changed the outputs');
  assert.ok((await maxDiff(padBatch([sampleIds(20, 5)]))) > 1e-3, 'the sliding window changed nothing on a 20-token input');
  // 9 tokens: keys at distance 4 (visible) and 5 (hidden) both occur, so an off-by-one shows
  const d = await diffFromReference(windowed, padBatch([sampleIds(9, 6)]));
  assert.ok(d.hidden <= tolerance, `windowed model differs from the reference by ${d.hidden}`);
});

test('ModernBERT layout: layer pattern and rotary thetas come from config.json, old and new style', () => {
  const base = { model_type: 'modernbert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 4, num_attention_heads: 2, intermediate_size: 8 };
  const old = modernBertLayout(parseConfig(JSON.stringify({ ...base, global_attn_every_n_layers: 2, local_attention: 9, global_rope_theta: 5, local_rope_theta: 7 })));
  assert.deepEqual(old, { local: [false, true, false, true], globalTheta: 5, localTheta: 7, halfWindow: 4 });
  const modern = modernBertLayout(parseConfig(JSON.stringify({
    ...base,
    layer_types: ['full_attention', 'sliding_attention', 'sliding_attention', 'full_attention'],
    rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 11 }, sliding_attention: { rope_type: 'default', rope_theta: 13 } },
  })));
  assert.deepEqual(modern, { local: [false, true, true, false], globalTheta: 11, localTheta: 13, halfWindow: 64 });
});

test('ModernBERT: local_rope_theta null converts like local_rope_theta = global_rope_theta (transformers falls back to the global theta)', async () => {
  const nullLocal = await convertTestModel({ arch: 'modernbert', configOverrides: { global_rope_theta: 5000, local_rope_theta: null } });
  const explicit = await convertTestModel({ arch: 'modernbert', configOverrides: { global_rope_theta: 5000, local_rope_theta: 5000 } });
  const other = await convertTestModel({ arch: 'modernbert', configOverrides: { global_rope_theta: 5000, local_rope_theta: 10000 } });
  const b = padBatch([sampleIds(20, 7)]);
  const hidden = async (c: typeof explicit) => (await runModel(c, b))['last_hidden_state']!.data as Float32Array;
  const [a, e, o] = [await hidden(nullLocal), await hidden(explicit), await hidden(other)];
  assert.ok(a.every((x, i) => Math.abs(x - e[i]!) < 1e-6), 'null local theta differs from the global theta');
  assert.ok(a.some((x, i) => Math.abs(x - o[i]!) > 1e-4), 'the local theta has no effect in this test');
});
