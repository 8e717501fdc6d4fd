import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, finetunePageHtml, liveActions, liveHtml, newLiveReport } from '../../../src/features/finetune/reportHtml';
import type { FinetuneVerifyResult } from '../../../src/engine/finetune/protocol';

const page = { cspSource: 'vscode-webview:', nonce: 'n0nce', styleUri: 'style.css', scriptUri: 'live.js' };

test('the live page: curves from step and dev events, the latest progress line, a strict CSP with one nonce', () => {
  const r = newLiveReport('ner', '/models/base', '/out/<ft>');
  assert.equal(applyEvent(r, { event: 'info', message: 'Fine-tuning modernbert on cpu in float32.' }), true);
  for (let step = 10; step <= 40; step += 10) applyEvent(r, { event: 'step', step, epoch: step <= 20 ? 1 : 2, loss: 1 / step, lr: 1e-4, tokens_per_s: 1000, eta_s: 60, total_steps: 40 });
  applyEvent(r, { event: 'eval', split: 'dev', epoch: 1, step: 20, f1: 0.5, best: true, metrics: {} });
  applyEvent(r, { event: 'eval', split: 'dev', epoch: 2, step: 40, f1: 0.4, best: false, metrics: {} });
  assert.equal(applyEvent(r, { event: 'checkpoint', step: 40 }), false);
  assert.deepEqual(r.loss.map((p) => p.step), [10, 20, 30, 40]);
  assert.deepEqual(r.dev, [{ epoch: 1, f1: 0.5 }, { epoch: 2, f1: 0.4 }]);
  assert.equal(r.bestEpoch, 1);
  const html = liveHtml(r);
  assert.match(html, /Training loss/);
  assert.match(html, />step</, 'the loss curve is by step');
  assert.match(html, /Dev entity F1/);
  assert.match(html, /best dev epoch 1/);
  assert.match(html, /Epoch 2: dev entity F1 0\.400/);
  assert.equal(liveActions(r), '', 'no buttons before the model is verified');
  const doc = finetunePageHtml(r, page);
  assert.match(doc, /Content-Security-Policy" content="default-src 'none'; style-src vscode-webview:; img-src vscode-webview:; script-src 'nonce-n0nce';"/);
  assert.match(doc, /<code>\/out\/&lt;ft&gt;<\/code>/, 'paths are escaped');
  assert.doesNotMatch(doc, /<script>(?!<)/, 'no inline script');
});

test('a long run keeps the loss curve light', () => {
  const r = newLiveReport('classify', 'm', 'o');
  for (let step = 1; step <= 5000; step++) applyEvent(r, { event: 'step', step, epoch: 1, loss: 1, lr: 1, tokens_per_s: 1, eta_s: 1, total_steps: 5000 });
  assert.ok(r.loss.length <= 400 && r.loss.at(-1)!.step === 5000, `${r.loss.length} points`);
});

test('after verification: the engine\'s test figures, parity, the companion\'s figures beside them, and the Use button', () => {
  const r = newLiveReport('classify', 'm', 'o');
  const verified: FinetuneVerifyResult = {
    out: 'o', onnxPath: 'o/onnx/model.onnx',
    parity: { max_abs_diff: 3e-7, tolerance: 1e-4, windows: 16, passed: true },
    figures: { task: 'classify', documents: 20, accuracy: 0.95, macro_f1: 0.943, per_class: {}, confusion: { labels: ['a', 'b'], matrix: [[10, 1], [0, 9]] }, auroc: 1 },
    agreement: { max_diff: 2e-7, tolerance: 1e-6, companion_precision: 'fp32', agreed: true, compared: { accuracy: [0.95, 0.95], macro_f1: [0.943, 0.9430002], auroc: [1, 1] } },
    companion: { accuracy: 0.95, macro_f1: 0.9430002, auroc: 1 },
    warnings: [],
  };
  r.state = 'done';
  r.verified = verified;
  const html = liveHtml(r);
  assert.match(html, /Accuracy <strong>0\.950<\/strong>/);
  assert.match(html, /Parity with PyTorch: max abs diff 3\.00e-7 on 16 held-out windows \(limit 0\.0001\)/);
  assert.match(html, /<th scope="row">macro_f1<\/th><td class="num">0\.943000<\/td><td class="num">0\.943000<\/td>/);
  assert.match(liveActions(r), /id="use"/);
  r.inUse = true;
  assert.match(liveActions(r), /In use/);
});

test('a stopped run says why', () => {
  const r = newLiveReport('ner', 'm', 'o');
  r.state = 'stopped';
  r.problem = 'Fine-tuning was stopped; a checkpoint is saved. Choose Resume to continue it.';
  assert.match(liveHtml(r), /Fine-tuning stopped<\/strong>.*\n<p class="banner" role="note">Fine-tuning was stopped; a checkpoint is saved/);
});
