/**
 * The fine-tune's report page: live while the companion trains (training loss
 * by step, dev score by epoch, the latest progress line), then the engine's
 * test figures, parity and the companion's agreeing figures. Built from the
 * companion's progress lines and the engine's verification, with the
 * training report's charts and tables (features/training/reportHtml.ts).
 * Free of the VS Code API: tested in plain Node. The page's script only
 * swaps in new content and posts button clicks (strict CSP, one nonce).
 */
import type { CompanionEvent, EvalEvent, StepEvent } from '../../engine/finetune/companion';
import type { FinetuneVerifyResult } from '../../engine/finetune/protocol';
import { figuresHtml, lineChart, table } from '../training/reportHtml';
import { escapeHtml, webviewPage, type PageAssets } from '../webviewPage';
import { describeEvent } from './progressText';

/** points kept for the loss curve: older ones are thinned so a long run stays light */
const MAX_LOSS_POINTS = 400;

export interface LiveReport {
  task: 'ner' | 'classify';
  model: string;
  out: string;
  state: 'running' | 'stopped' | 'failed' | 'done';
  /** the latest progress line */
  status: string;
  info: string[];
  loss: Array<{ step: number; loss: number }>;
  dev: Array<{ epoch: number; f1: number }>;
  bestEpoch?: number;
  verified?: FinetuneVerifyResult;
  /** why it stopped or failed, one line */
  problem?: string;
  inUse?: boolean;
}

export function newLiveReport(task: 'ner' | 'classify', model: string, out: string): LiveReport {
  return { task, model, out, state: 'running', status: 'Starting', info: [], loss: [], dev: [] };
}

/** Folds one companion event into the report; true when the page should be redrawn. */
export function applyEvent(r: LiveReport, e: CompanionEvent): boolean {
  if (e.event === 'info' && typeof e['message'] === 'string') {
    r.info.push(e['message']);
    return true;
  }
  if (e.event === 'step') {
    const s = e as unknown as StepEvent;
    if (typeof s.loss === 'number') {
      r.loss.push({ step: s.step, loss: s.loss });
      if (r.loss.length > MAX_LOSS_POINTS) r.loss = r.loss.filter((_, i) => i % 2 === 0 || i === r.loss.length - 1);
    }
    r.status = describeEvent(e, r.task)?.message ?? r.status;
    return true;
  }
  if (e.event === 'eval') {
    const v = e as unknown as EvalEvent;
    if (v.split === 'dev' && !v.final && typeof v.f1 === 'number') {
      r.dev.push({ epoch: v.epoch, f1: v.f1 });
      if (v.best) r.bestEpoch = v.epoch;
    }
    r.status = describeEvent(e, r.task)?.message ?? r.status;
    return true;
  }
  return false;
}

const score = (task: 'ner' | 'classify') => (task === 'ner' ? 'dev entity F1' : 'dev macro F1');

/** The part of the page that changes: swapped in whole by the page's script. */
export function liveHtml(r: LiveReport): string {
  const parts: string[] = [];
  const title = r.state === 'done' ? 'Fine-tuned' : r.state === 'running' ? 'Fine-tuning' : r.state === 'stopped' ? 'Fine-tuning stopped' : 'Fine-tuning failed';
  parts.push(`<p class="headline"><strong>${escapeHtml(title)}</strong> · ${escapeHtml(r.status)}</p>`);
  if (r.problem) parts.push(`<p class="banner" role="note">${escapeHtml(r.problem)}</p>`);
  const v = r.verified;
  if (v) {
    parts.push(`<section aria-labelledby="test"><h2 id="test">Test figures (the engine, running the exported model as the extension does)</h2>${figuresHtml(v.figures)}`);
    const compared = Object.entries(v.agreement.compared).map(([k, [a, b]]) => [escapeHtml(k), a === null ? '—' : a.toFixed(6), b === null ? '—' : b.toFixed(6)]);
    parts.push(
      `<p class="muted">Parity with PyTorch: max abs diff ${v.parity.max_abs_diff.toExponential(2)} on ${v.parity.windows} held-out windows (limit ${v.parity.tolerance}). ` +
        `The companion's own figures (${escapeHtml(v.agreement.companion_precision)}) agree within ${v.agreement.max_diff.toExponential(1)} (tolerance ${v.agreement.tolerance.toExponential(0)}).</p>` +
        table('The engine and the companion on the test split', ['figure', 'engine', 'companion'], compared, 'figures') +
        `</section>`,
    );
  }
  const charts: string[] = [];
  if (r.loss.length) {
    charts.push(lineChart([{ name: 'training loss', cls: 's1', values: r.loss.map((p) => p.loss) }], { title: 'Training loss', yLabel: 'loss', xLabel: 'step', x: r.loss.map((p) => p.step) }));
  }
  if (r.dev.length) {
    charts.push(lineChart([{ name: score(r.task), cls: 's3', values: r.dev.map((p) => p.f1) }], { title: score(r.task)[0]!.toUpperCase() + score(r.task).slice(1), yLabel: score(r.task), mark: r.bestEpoch, x: r.dev.map((p) => p.epoch) }));
  }
  parts.push(`<section aria-labelledby="curves"><h2 id="curves">Training</h2>${charts.length ? `<div class="charts">${charts.join('')}</div>` : '<p class="muted">The curves appear with the first steps.</p>'}</section>`);
  if (r.info.length) parts.push(`<details><summary>Companion</summary><ul>${r.info.map((m) => `<li>${escapeHtml(m)}</li>`).join('')}</ul></details>`);
  return parts.join('\n');
}

export function liveActions(r: LiveReport): string {
  if (r.state !== 'done') return '';
  return r.inUse ? `<span class="inuse">In use</span>` : `<button id="use" type="button">Use the fine-tuned model now</button><button id="metrics" type="button" class="secondary">Open metrics.json</button>`;
}

export function finetunePageHtml(r: LiveReport, page: PageAssets): string {
  return webviewPage(page, {
    title: `Fine-tune: ${r.out}`,
    body: `<main>
<header><h1>Fine-tune: <code>${escapeHtml(r.out)}</code></h1><p class="muted">${r.task === 'ner' ? 'entities' : 'note classification'} · from ${escapeHtml(r.model)} · the whole encoder, PyTorch companion</p></header>
<nav class="actions" id="actions">${liveActions(r)}</nav>
<div id="live">${liveHtml(r)}</div>
</main>`,
    imagesFromExtension: true,
  });
}
