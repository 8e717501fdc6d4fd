/**
 * The training report webview's page: the figures, per-label table, confusion
 * matrix and curves of a head's metrics.json, escaped (labels come from user
 * data), under a strict CSP (no inline styles or scripts but the one with the
 * nonce, nothing fetched from elsewhere), with text alternatives for the
 * charts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChart, reportHtml } from '../../../src/features/training/reportHtml';
import { escapeHtml, type PageAssets } from '../../../src/features/webviewPage';
import { describeProgress, headline } from '../../../src/features/training/progressText';
import type { TrainingMetrics } from '../../../src/engine/train/protocol';

const page: PageAssets = { cspSource: 'vscode-webview://x', nonce: 'abc123', styleUri: 'vscode-webview://x/report.css', scriptUri: 'vscode-webview://x/report.js' };

const triple = (p: number, r: number, f1: number, support: number) => ({ precision: p, recall: r, f1, support });

function metrics(task: 'ner' | 'classify', overrides: Partial<TrainingMetrics> = {}): TrainingMetrics {
  const ner = {
    task: 'ner' as const,
    documents: 4,
    words: 120,
    precision: 0.9,
    recall: 0.8,
    f1: 0.847,
    macro: { precision: 0.9, recall: 0.8, f1: 0.84 },
    token_accuracy: 0.97,
    per_label: { Problem: triple(1, 0.75, 0.857, 8), '<img src=x onerror=alert(1)>': triple(0.8, 0.8, 0.8, 5) },
    counts: { gold: 13, predicted: 12, correct: 11 },
    strict: { precision: 0.9, recall: 0.8, f1: 0.847, macro_f1: 0.84 },
  };
  const classify = {
    task: 'classify' as const,
    documents: 10,
    accuracy: 0.9,
    macro_f1: 0.89,
    per_class: { other: triple(0.8, 1, 0.89, 4), respiratory: triple(1, 0.83, 0.91, 6) },
    confusion: { labels: ['other', 'respiratory'], matrix: [[4, 0], [1, 5]] },
    auroc: 0.96,
  };
  const figures = task === 'ner' ? ner : classify;
  return {
    format: 'cmb-training-metrics',
    version: 1,
    head: 'entities',
    task,
    created: '2026-11-29T19:00:00Z',
    created_by: 'test',
    demo: false,
    encoder: { name: 'enc', model_type: 'modernbert', fingerprint: 'sha256:0123456789abcdef0123', layers: 2, hidden_size: 32 },
    dataset: { fingerprint: 'sha256:fedcba9876543210fedc', sources: { data: ['x'], dev: [], test: [], documents_given: 0 }, problems: 1, problem_list: [{ doc: 'notes/a.txt', line: 3, start: 4, end: 9, message: 'span cuts a word: <left out>' }] },
    split: { seed: 13, train: 32, dev: 4, test: 4, dev_given: false, test_given: false },
    labels: task === 'ner' ? ['Problem', '<img src=x onerror=alert(1)>'] : ['other', 'respiratory'],
    settings: { architecture: 'linear', layers: 1, epochs: 20, batch_size: 64, learning_rate: 0.001, weight_decay: 0.01, class_weights: 'none', patience: 4, window_tokens: 128, seed: 13 },
    history: [1, 2, 3, 4].map((epoch) => ({ epoch, loss: 1 / epoch, dev_loss: 1.2 / epoch, dev_score: 0.5 + epoch / 10, seconds: 0.1 })),
    best_epoch: 3,
    dev: figures,
    test: figures,
    timings: { features_seconds: 1.2, windows: 40, windows_cached: 0, tokens_encoded: 2000, training_seconds: 0.4, seconds_per_epoch: 0.1, total_seconds: 1.7 },
    ...overrides,
  } as TrainingMetrics;
}

test('the page allows only its own stylesheet and the script with the nonce', () => {
  const html = reportHtml(metrics('ner'), page, { inUse: false });
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  // inline style attributes would be blocked by the CSP: the page must not need them
  assert.doesNotMatch(html, /\sstyle="/);
  const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
  assert.deepEqual(scripts, [`<script nonce="abc123" src="${page.scriptUri}">`]);
  assert.doesNotMatch(html, /https?:\/\//);
});

test('labels and problems from the data are escaped', () => {
  const html = reportHtml(metrics('ner'), page, { inUse: false, warnings: ['<b>tiny</b> split'] });
  assert.doesNotMatch(html, /<img/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /&lt;b&gt;tiny&lt;\/b&gt; split/);
  assert.match(html, /span cuts a word: &lt;left out&gt;/);
  assert.equal(escapeHtml(`a&b"'<>`), 'a&amp;b&quot;&#39;&lt;&gt;');
});

test('an entity report has the headline figures, a row per label with micro and macro, and both curves', () => {
  const html = reportHtml(metrics('ner'), page, { inUse: false });
  assert.match(html, /Entity F1 <strong>0\.847<\/strong>/);
  assert.match(html, /<th scope="row">Problem<\/th><td class="num">1\.000<\/td><td class="num">0\.750<\/td><td class="num">0\.857<\/td><td class="num">8<\/td>/);
  assert.match(html, /<th scope="row">micro<\/th>/);
  assert.match(html, /<th scope="row">macro<\/th>/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.match(html, /aria-label="Loss: training loss from 1\.00 to 0\.250 over 4 epochs/);
  assert.match(html, /<button id="use" type="button">Use for entities<\/button>/);
  assert.doesNotMatch(html, /class="confusion"/);
  assert.doesNotMatch(html, /random weights/);
});

test('a classification report has the confusion matrix, AUROC and the use button for classification', () => {
  const html = reportHtml(metrics('classify'), page, { inUse: false });
  assert.match(html, /Accuracy <strong>0\.900<\/strong> · macro F1 0\.890 · AUROC 0\.960 \(respiratory as positive\)/);
  assert.match(html, /<table class="confusion">/);
  assert.match(html, /<th scope="row">respiratory<\/th><td class="num cell level-1">1<\/td><td class="num cell level-4 diagonal">5<\/td>/);
  assert.match(html, /Use for classification/);
});

test('a head in use says so instead of offering the button; a demo encoder is flagged', () => {
  const html = reportHtml(metrics('ner', { demo: true }), page, { inUse: true });
  assert.doesNotMatch(html, /id="use"/);
  assert.match(html, /In use for entities/);
  assert.match(html, /random weights \(a demo model\)/);
});

test('a chart of one epoch or a flat series still draws inside its box', () => {
  const svg = lineChart([{ name: 'loss', cls: 's1', values: [0.5] }], { title: 'Loss', yLabel: 'loss', mark: 1 });
  assert.match(svg, /<circle class="dot s1" cx="[\d.]+" cy="[\d.]+"/);
  assert.doesNotMatch(svg, /NaN|Infinity/);
  const flat = lineChart([{ name: 'f1', cls: 's3', values: [1, 1, 1] }], { title: 'F1', yLabel: 'f1' });
  assert.doesNotMatch(flat, /NaN|Infinity/);
  assert.match(flat, /<polyline class="line s3" points="[\d., ]+"\/>/);
});

test('progress lines name the epoch, loss, dev score and time left; the headline the test figures', () => {
  assert.equal(
    describeProgress({ message: 'x', training: { phase: 'training', epoch: 3, epochs: 20, loss: 0.41234, devScore: 0.8712, etaSeconds: 40.2 } }, 'ner'),
    'Epoch 3 of at most 20 · loss 0.412 · dev F1 0.871 · about 41 s left',
  );
  assert.equal(describeProgress({ message: 'x', training: { phase: 'training', epoch: 1, epochs: 5, etaSeconds: 600 } }, 'classify'), 'Epoch 1 of at most 5 · about 10 min left');
  assert.equal(describeProgress({ message: 'x', training: { phase: 'features', windowsDone: 10, windowsTotal: 40 } }, 'ner'), 'Encoding the notes: 10 of 40 windows');
  assert.equal(describeProgress({ message: 'Loading' }, 'ner'), 'Loading');
  assert.equal(headline(metrics('ner').test), 'test entity F1 0.847');
  assert.equal(headline(metrics('classify').test), 'test accuracy 0.900, macro F1 0.890');
});
