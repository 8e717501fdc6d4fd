import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sparkline, trainingReportMarkdown } from '../../../src/engine/train/report';
import type { TrainingMetrics } from '../../../src/engine/train/protocol';

const base: Omit<TrainingMetrics, 'task' | 'dev' | 'test' | 'labels'> = {
  format: 'cmb-training-metrics', version: 1, head: 'h', created: '2025-01-01T00:00:00Z', created_by: 'test', demo: true,
  encoder: { name: 'enc', model_type: 'bert', fingerprint: 'sha256:' + 'a'.repeat(64), layers: 2, hidden_size: 32 },
  dataset: { fingerprint: 'sha256:' + 'b'.repeat(64), sources: { data: ['d.jsonl'], dev: [], test: [], documents_given: 0 }, problems: 1, problem_list: [{ doc: 'd.jsonl:3', start: 1, end: 4, message: 'a | pipe' }] },
  split: { seed: 1, train: 8, dev: 1, test: 1, dev_given: false, test_given: false },
  settings: { architecture: 'linear', layers: 1, epochs: 3, batch_size: 4, learning_rate: 0.001, weight_decay: 0.01, class_weights: 'none', patience: 2, window_tokens: 512, seed: 1 },
  history: [{ epoch: 1, loss: 1, dev_loss: 1, dev_score: 0.2, seconds: 1 }, { epoch: 2, loss: 0.5, dev_loss: 0.6, dev_score: 0.6, seconds: 1 }],
  best_epoch: 2,
  timings: { features_seconds: 1, windows: 10, windows_cached: 0, tokens_encoded: 100, training_seconds: 2, seconds_per_epoch: 1, total_seconds: 3 },
};

test('sparkline: lowest to highest bar, flat series low', () => {
  assert.equal(sparkline([0, 0.5, 1]), '▁▅█');
  assert.equal(sparkline([2, 2]), '▁▁');
  assert.equal(sparkline([]), '');
});

test('entity report: demo warning, per-label table with micro and macro rows, epochs with the best marked, problems escaped', () => {
  const f = { task: 'ner' as const, documents: 1, words: 9, precision: 0.5, recall: 1, f1: 2 / 3, macro: { precision: 0.5, recall: 1, f1: 2 / 3 }, token_accuracy: 0.9, per_label: { 'A|B': { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 } }, counts: { gold: 1, predicted: 2, correct: 1 }, strict: { precision: 0.5, recall: 1, f1: 2 / 3, macro_f1: 2 / 3 } };
  const md = trainingReportMarkdown({ ...base, task: 'ner', labels: ['O', 'B-A|B', 'I-A|B'], dev: f, test: f });
  assert.match(md, /random weights/);
  assert.match(md, /\| A\\\|B \| 0\.500 \| 1\.000 \| 0\.667 \| 1 \|/);
  assert.match(md, /\| \*\*micro\*\* \| 0\.500 \| 1\.000 \| 0\.667 \| 1 \|/);
  assert.match(md, /\| \*\*2\*\* \| 0\.5000 \| 0\.6000 \| 0\.600 \| 1\.00 \|/);
  assert.match(md, /loss `█▁`  dev entity F1 `▁█`/);
  assert.match(md, /- d\.jsonl:3 \[1, 4\): a \\\| pipe/);
});

test('classification report: accuracy, AUROC with its positive class, confusion matrix rows gold', () => {
  const f = { task: 'classify' as const, documents: 3, accuracy: 2 / 3, macro_f1: 0.5, per_class: { no: { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 }, yes: { precision: 0.5, recall: 1, f1: 2 / 3, support: 1 } }, confusion: { labels: ['no', 'yes'], matrix: [[1, 1], [0, 1]] }, auroc: 0.75 };
  const md = trainingReportMarkdown({ ...base, demo: false, task: 'classify', labels: ['no', 'yes'], dev: f, test: f });
  assert.doesNotMatch(md, /random weights/);
  assert.match(md, /Accuracy \*\*0\.667\*\*, macro F1 0\.500, AUROC 0\.750 \(yes as positive\)/);
  assert.match(md, /\| gold \\ predicted \| no \| yes \|\n\| --- \| ---: \| ---: \|\n\| no \| 1 \| 1 \|\n\| yes \| 0 \| 1 \|/);
});
