import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choosePython, defaultOutputName, describeEvent, headline, TRAINING_SHARE } from '../../../src/features/finetune/progressText';

test('a step event: epoch, step, loss, throughput and time left, and how far training is', () => {
  const line = describeEvent({ event: 'step', step: 30, epoch: 2, loss: 0.4321, lr: 1e-4, tokens_per_s: 5321.4, eta_s: 95, total_steps: 120 }, 'ner')!;
  assert.equal(line.message, 'Epoch 2 · step 30 of 120 · loss 0.432 · 5,321 tokens/s · about 2 min left');
  assert.equal(line.percent, (TRAINING_SHARE * 30) / 120);
  // non-finite numbers arrive as null: left out, never "NaN"
  assert.equal(describeEvent({ event: 'step', step: 120, epoch: 3, loss: null, lr: 0, tokens_per_s: null, eta_s: null, total_steps: 120 }, 'ner')!.message, 'Epoch 3 · step 120 of 120');
});

test('eval events name the task\'s figure; the final ones say they are the companion\'s', () => {
  assert.equal(describeEvent({ event: 'eval', split: 'dev', epoch: 1, step: 40, f1: 0.8123, best: true, metrics: {} }, 'ner')!.message, 'Epoch 1: dev entity F1 0.812 (best so far)');
  assert.equal(describeEvent({ event: 'eval', split: 'dev', epoch: 2, step: 80, f1: 0.8, best: false, metrics: {} }, 'classify')!.message, 'Epoch 2: dev macro-F1 0.800');
  assert.equal(describeEvent({ event: 'eval', split: 'test', epoch: 1, step: 80, f1: 0.9, best: true, final: true, metrics: {} }, 'classify')!.message, 'Test macro-F1 0.900 (companion)');
  assert.equal(describeEvent({ event: 'info', message: 'x' }, 'ner'), undefined);
});

test('headline of the engine\'s test figures', () => {
  assert.equal(
    headline({ task: 'ner', documents: 30, words: 600, precision: 0.98, recall: 0.955, f1: 0.967, macro: { precision: 1, recall: 1, f1: 1 }, token_accuracy: 0.99, per_label: {}, counts: { gold: 1, predicted: 1, correct: 1 }, strict: { precision: 1, recall: 1, f1: 1, macro_f1: 1 } }),
    'entity F1 0.967 (precision 0.98, recall 0.95) on 30 test notes',
  );
  assert.equal(headline({ task: 'classify', documents: 1, accuracy: 1, macro_f1: 1, per_class: {}, confusion: { labels: [], matrix: [] }, auroc: null }), 'macro-F1 1.000, accuracy 1.000 on 1 test note');
});

test('output folder names are safe file names with the task and the time', () => {
  assert.equal(defaultOutputName('Simonlee711/Clinical_ModernBERT', 'ner', new Date(2026, 10, 29, 9, 5)), 'Simonlee711_Clinical_ModernBERT-ner-20261129-0905');
  assert.equal(defaultOutputName('../..', 'classify', new Date(2026, 0, 2, 3, 4)), 'model-classify-20260102-0304');
});

test('which Python: the setting alone when set, else the Python extension\'s environment with discovery behind it, else discovery', () => {
  assert.deepEqual(choosePython(' /opt/py/bin/python ', '/env/bin/python'), { python: '/opt/py/bin/python', pythonOnly: true, source: 'setting' });
  assert.deepEqual(choosePython('', '/env/bin/python'), { python: '/env/bin/python', pythonOnly: false, source: 'python-extension' });
  assert.deepEqual(choosePython(undefined, undefined), { pythonOnly: false, source: 'discovery' });
});
