import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSafetensors, tensorAsFloat32, writeSafetensors } from '../../../../src/engine/model/safetensors';
import { convertTestModel, diffFromReference, padBatch, runModel, sampleIds, type Converted } from './convertedModel';
import '../../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { ensureOnnx } from '../../../../src/engine/model/convert/convert';
import { inspectModelFolder } from '../../../../src/engine/model/folder';
import { testSequenceLabels, testTokenLabels } from '../../../../src/engine/model/testModel';

const batch = padBatch([sampleIds(20, 1), sampleIds(13, 2)]);
const tolerance = 1e-4;

for (const head of [undefined, 'mlm', 'token', 'sequence'] as const) {
  test(`BERT ${head ?? 'encoder'}: the ONNX graph matches a float64 reference forward pass`, async () => {
    const c = await convertTestModel({ arch: 'bert', head });
    assert.deepEqual(c.session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
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

test('BERT: a sequence gives the same outputs alone and padded in a batch with a longer one', async () => {
  const c = await convertTestModel({ arch: 'bert', head: 'token' });
  const short = sampleIds(13, 2);
  const alone = await runModel(c, padBatch([short]));
  const batched = await runModel(c, batch);
  for (const name of ['last_hidden_state', 'logits']) {
    const a = alone[name]!.data as Float32Array;
    const b = batched[name]!.data as Float32Array;
    const width = alone[name]!.dims[2]!;
    const rowOffset = 20 * width; // second sequence in the batch
    let max = 0;
    for (let i = 0; i < 13 * width; i++) max = Math.max(max, Math.abs(a[i]! - b[rowOffset + i]!));
    assert.ok(max < 1e-5, `${name} changed by ${max} when padded`);
  }
});

test('BERT: fully padded rows give finite numbers, not NaN', async () => {
  const c = await convertTestModel({ arch: 'bert' });
  const out = await runModel(c, { ids: [sampleIds(6, 3), Array(6).fill(0)], lengths: [6, 0] });
  assert.ok((out['last_hidden_state']!.data as Float32Array).every(Number.isFinite));
});

test('BERT: tanh-approximated GELU (gelu_new) is honoured', async () => {
  const c = await convertTestModel({ arch: 'bert', head: 'mlm', configOverrides: { hidden_act: 'gelu_new' } });
  const d = await diffFromReference(c, batch);
  assert.ok(d.hidden <= tolerance && d.logits <= tolerance, JSON.stringify(d));
});

test('BERT: old checkpoints with LayerNorm gamma/beta names convert to the same model', async () => {
  const c = await convertTestModel({ arch: 'bert', head: 'sequence' });
  const file = readSafetensors(c.folder.safetensorsFiles[0]!);
  const renamed = [...file.tensors.keys()].map((name) => ({
    name: name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
    shape: file.tensors.get(name)!.shape,
    data: tensorAsFloat32(file, name),
  }));
  assert.ok(renamed.some((t) => t.name.endsWith('gamma')));
  const oldStyle = await convertTestModel({ arch: 'bert', head: 'sequence' });
  writeSafetensors(join(oldStyle.folder.dir, 'model.safetensors'), renamed);
  const { onnxPath } = ensureOnnx(inspectModelFolder(oldStyle.folder.dir));
  const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
  const a = await runModel(c, batch);
  const b = await runModel({ ...oldStyle, session } as Converted, batch);
  assert.deepEqual(Array.from(b['logits']!.data as Float32Array), Array.from(a['logits']!.data as Float32Array));
});
