/**
 * The training report as the webview shows it, rendered here from a head's
 * metrics.json (the same content as `cmb train --report`'s Markdown): the
 * test figures, the per-label table, the confusion matrix (classification),
 * and the loss and dev-score curves drawn as plain SVG. Free of the VS Code
 * API, so it is tested in plain Node. Colours come from VS Code's theme
 * variables in report.css; a strict CSP allows only the page's own stylesheet
 * and one script with a nonce (the buttons).
 */
import type { Figures, TrainingMetrics } from '../../engine/train/protocol';
import { escapeHtml, webviewPage, type PageAssets } from '../webviewPage';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

export interface Series {
  name: string;
  /** a CSS class of report.css giving the stroke colour */
  cls: string;
  values: readonly number[];
}

/**
 * A line chart of per-epoch values (x: epoch 1..n), with the y range from the
 * data, a dashed marker at `mark` (the best epoch), and each point titled for
 * hover and screen readers.
 */
export function lineChart(series: readonly Series[], opts: { title: string; mark?: number; yLabel: string; xLabel?: string; x?: readonly number[] }): string {
  const xLabel = opts.xLabel ?? 'epoch';
  const xAt = (i: number) => opts.x?.[i] ?? i + 1;
  const W = 420;
  const H = 180;
  const pad = { left: 46, right: 12, top: 12, bottom: 30 };
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x = (i: number) => pad.left + (n === 1 ? (W - pad.left - pad.right) / 2 : (i * (W - pad.left - pad.right)) / (n - 1));
  const y = (v: number) => pad.top + ((hi - v) * (H - pad.top - pad.bottom)) / (hi - lo);
  const parts: string[] = [];
  parts.push(`<line class="axis" x1="${pad.left}" y1="${H - pad.bottom}" x2="${W - pad.right}" y2="${H - pad.bottom}"/>`);
  parts.push(`<line class="axis" x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${H - pad.bottom}"/>`);
  for (const v of [hi, (hi + lo) / 2, lo]) {
    parts.push(`<text class="tick" x="${pad.left - 4}" y="${y(v) + 4}" text-anchor="end">${escapeHtml(formatTick(v))}</text>`);
    parts.push(`<line class="grid" x1="${pad.left}" y1="${y(v)}" x2="${W - pad.right}" y2="${y(v)}"/>`);
  }
  const xticks = n <= 10 ? Array.from({ length: n }, (_, i) => i) : [0, Math.floor((n - 1) / 2), n - 1];
  for (const i of xticks) parts.push(`<text class="tick" x="${x(i)}" y="${H - pad.bottom + 14}" text-anchor="middle">${xAt(i)}</text>`);
  parts.push(`<text class="tick" x="${(W + pad.left) / 2}" y="${H - 2}" text-anchor="middle">${escapeHtml(xLabel)}</text>`);
  if (opts.mark !== undefined && opts.mark >= 1 && opts.mark <= n) {
    parts.push(`<line class="mark" x1="${x(opts.mark - 1)}" y1="${pad.top}" x2="${x(opts.mark - 1)}" y2="${H - pad.bottom}"><title>best dev epoch ${opts.mark}</title></line>`);
  }
  for (const s of series) {
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean);
    if (pts.length > 1) parts.push(`<polyline class="line ${s.cls}" points="${pts.join(' ')}"/>`);
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) parts.push(`<circle class="dot ${s.cls}" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5"><title>${escapeHtml(`${s.name}, ${xLabel} ${xAt(i)}: ${formatTick(v)}`)}</title></circle>`);
    });
  }
  const legend = series.map((s) => `<span class="key ${s.cls}">${escapeHtml(s.name)}</span>`).join(' ');
  const summary = series.map((s) => `${s.name} from ${formatTick(s.values[0] ?? NaN)} to ${formatTick(s.values.at(-1) ?? NaN)} over ${s.values.length} ${xLabel === 'epoch' ? 'epochs' : 'points'}`).join('; ');
  return `<figure class="chart"><figcaption>${escapeHtml(opts.title)} ${legend}</figcaption><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(`${opts.title}: ${summary}`)}">${parts.join('')}</svg></figure>`;
}

function formatTick(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function table(caption: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>, cls = ''): string {
  const head = header.map((h, i) => `<th scope="col"${i ? ' class="num"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${c}</th>` : `<td class="num">${c}</td>`)).join('')}</tr>`).join('');
  return `<table class="${cls}"><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export function figuresHtml(f: Figures): string {
  if (f.task === 'ner') {
    const rows = Object.entries(f.per_label).map(([l, s]) => [escapeHtml(l), f3(s.precision), f3(s.recall), f3(s.f1), String(s.support)]);
    rows.push(['micro', f3(f.precision), f3(f.recall), f3(f.f1), String(f.counts.gold)]);
    rows.push(['macro', f3(f.macro.precision), f3(f.macro.recall), f3(f.macro.f1), String(f.counts.gold)]);
    return (
      `<p class="headline">Entity F1 <strong>${f3(f.f1)}</strong> (precision ${f3(f.precision)}, recall ${f3(f.recall)}) · macro F1 ${f3(f.macro.f1)} · token accuracy ${f3(f.token_accuracy)} · strict IOB2 F1 ${f3(f.strict.f1)}</p>` +
      `<p class="muted">Exact-match entities as seqeval counts them, on ${f.documents} test notes (${f.words} words; ${f.counts.gold} gold, ${f.counts.predicted} predicted, ${f.counts.correct} correct).</p>` +
      table('Per label, test split', ['label', 'precision', 'recall', 'F1', 'support'], rows, 'figures')
    );
  }
  const rows = Object.entries(f.per_class).map(([l, s]) => [escapeHtml(l), f3(s.precision), f3(s.recall), f3(s.f1), String(s.support)]);
  const labels = f.confusion.labels;
  // shaded by share of the largest cell, in five steps (classes: the CSP allows no inline styles)
  const max = Math.max(1, ...f.confusion.matrix.flat());
  const cm =
    `<table class="confusion"><caption>Confusion matrix, test split (rows: true label, columns: predicted)</caption>` +
    `<thead><tr><th scope="col">true \\ predicted</th>${labels.map((l) => `<th scope="col" class="num">${escapeHtml(l)}</th>`).join('')}</tr></thead><tbody>` +
    f.confusion.matrix
      .map((row, i) => `<tr><th scope="row">${escapeHtml(labels[i] ?? '')}</th>${row.map((c, j) => `<td class="num cell level-${Math.round((c / max) * 4)}${i === j ? ' diagonal' : ''}">${c}</td>`).join('')}</tr>`)
      .join('') +
    `</tbody></table>`;
  return (
    `<p class="headline">Accuracy <strong>${f3(f.accuracy)}</strong> · macro F1 ${f3(f.macro_f1)}${f.auroc !== null ? ` · AUROC ${f3(f.auroc)} (${escapeHtml(labels[1] ?? '')} as positive)` : ''}</p>` +
    `<p class="muted">${f.documents} test notes.</p>` +
    table('Per class, test split', ['label', 'precision', 'recall', 'F1', 'support'], rows, 'figures') +
    cm
  );
}

export interface ReportOptions {
  /** the head is the one the matching setting names */
  inUse: boolean;
  /** warnings of the run (train.run's), when the report follows a run */
  warnings?: readonly string[];
}

export function reportHtml(m: TrainingMetrics, page: PageAssets, opts: ReportOptions): string {
  const task = m.task === 'ner' ? 'entities' : 'note classification';
  const score = m.task === 'ner' ? 'dev entity F1' : 'dev macro F1';
  const st = m.settings;
  const epochs = m.history;
  const warnings = [...(opts.warnings ?? [])];
  const body: string[] = [];
  body.push(`<header><h1>Training report: <code>heads/${escapeHtml(m.head)}</code></h1><p class="muted">${escapeHtml(task)} · labels ${m.labels.map(escapeHtml).join(', ')} · ${escapeHtml(m.created)}</p></header>`);
  if (m.demo) body.push(`<p class="banner" role="note">The encoder has random weights (a demo model): these figures measure the plumbing, not quality.</p>`);
  if (warnings.length) body.push(`<ul class="warnings" aria-label="Warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`);
  const useLabel = m.task === 'ner' ? 'Use for entities' : 'Use for classification';
  body.push(
    `<nav class="actions">` +
      (opts.inUse ? `<span class="inuse">In use for ${escapeHtml(task)}</span>` : `<button id="use" type="button">${useLabel}</button>`) +
      `<button id="markdown" type="button" class="secondary">Open as Markdown</button><button id="metrics" type="button" class="secondary">Open metrics.json</button></nav>`,
  );
  body.push(`<section aria-labelledby="test"><h2 id="test">Test figures</h2>${figuresHtml(m.test)}</section>`);
  body.push(
    `<section aria-labelledby="curves"><h2 id="curves">Training</h2><div class="charts">` +
      lineChart(
        [
          { name: 'training loss', cls: 's1', values: epochs.map((h) => h.loss) },
          { name: 'dev loss', cls: 's2', values: epochs.map((h) => h.dev_loss) },
        ],
        { title: 'Loss', mark: m.best_epoch, yLabel: 'loss' },
      ) +
      lineChart([{ name: score, cls: 's3', values: epochs.map((h) => h.dev_score) }], { title: score[0]!.toUpperCase() + score.slice(1), mark: m.best_epoch, yLabel: score }) +
      `</div><p class="muted">${epochs.length} of at most ${st.epochs} epochs (early stopping after ${st.patience} without a better dev score); the head kept is the best dev epoch, ${m.best_epoch}.</p>` +
      `<details><summary>Per epoch</summary>${table('Loss and dev score per epoch', ['epoch', 'loss', 'dev loss', escapeHtml(score), 'seconds'], epochs.map((h) => [String(h.epoch), h.loss.toFixed(4), h.dev_loss.toFixed(4), f3(h.dev_score), h.seconds.toFixed(2)]))}</details></section>`,
  );
  const t = m.timings;
  const facts: Array<[string, string]> = [
    ['notes', `${m.split.train} train, ${m.split.dev} dev${m.split.dev_given ? ' (given)' : ''}, ${m.split.test} test${m.split.test_given ? ' (given)' : ''}${!m.split.dev_given && !m.split.test_given ? ' — split by note, seeded 80/10/10' : ''}`],
    ['encoder', `${m.encoder.name} (${m.encoder.model_type}, ${m.encoder.layers} layers, hidden ${m.encoder.hidden_size}), frozen`],
    ['head', `${st.architecture}${st.architecture === 'mlp' ? ` (width ${st.mlp_hidden}, dropout ${st.dropout})` : ''} on the last ${st.layers} layer${st.layers === 1 ? '' : 's'}${st.pooling ? `, ${st.pooling} pooling` : ''}`],
    ['optimiser', `AdamW, learning rate ${st.learning_rate}, weight decay ${st.weight_decay}, batch ${st.batch_size}, class weights ${st.class_weights}, seed ${st.seed}`],
    ['time', `features ${t.features_seconds.toFixed(1)} s (${t.windows} windows, ${t.windows_cached} from the cache), training ${t.training_seconds.toFixed(1)} s (${t.seconds_per_epoch.toFixed(2)} s per epoch), total ${t.total_seconds.toFixed(1)} s`],
    ['dataset', `fingerprint ${m.dataset.fingerprint.slice(0, 19)}…; ${m.dataset.problems} problem${m.dataset.problems === 1 ? '' : 's'} in the data`],
  ];
  body.push(`<section aria-labelledby="run"><h2 id="run">What was trained</h2><dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></section>`);
  if (m.dataset.problems > 0) {
    const items = m.dataset.problem_list.slice(0, 50).map((p) => `<li><code>${escapeHtml(`${p.doc}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}`)}</code> ${escapeHtml(p.message)}</li>`);
    const more = m.dataset.problems > items.length ? `<li>… and ${m.dataset.problems - items.length} more (metrics.json and the log list them)</li>` : '';
    body.push(`<section aria-labelledby="problems"><h2 id="problems">Problems in the data</h2><ul>${items.join('')}${more}</ul></section>`);
  }
  return webviewPage(page, { title: `Training report: ${m.head}`, body: `<main>${body.join('\n')}</main>`, imagesFromExtension: true });
}
