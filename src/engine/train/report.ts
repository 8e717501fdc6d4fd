/**
 * A training run's metrics.json as a Markdown report: what was trained on
 * what, the test figures per label, the confusion matrix (classification), and
 * loss and dev score per epoch as a table and a text sparkline. The editor's
 * report view shows the same content.
 */
import type { Figures, TrainingMetrics } from './protocol';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled between the series' minimum and maximum. */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => BARS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1)) : 0]).join('');
}

/** a table cell: pipes and line breaks would end the cell */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function f3(x: number): string {
  return x.toFixed(3);
}

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

export function figuresMarkdown(f: Figures): string {
  const out: string[] = [];
  if (f.task === 'ner') {
    out.push(`Entity-level, exact match (seqeval): micro F1 **${f3(f.f1)}** (precision ${f3(f.precision)}, recall ${f3(f.recall)}), macro F1 ${f3(f.macro.f1)}, token accuracy ${f3(f.token_accuracy)}; strict IOB2 micro F1 ${f3(f.strict.f1)}. ${f.documents} notes, ${f.words} words, ${f.counts.gold} gold and ${f.counts.predicted} predicted entities.`);
    out.push('');
    const rows = Object.entries(f.per_label).map(([l, s]) => [cell(l), f3(s.precision), f3(s.recall), f3(s.f1), String(s.support)]);
    rows.push(['**micro**', f3(f.precision), f3(f.recall), f3(f.f1), String(f.counts.gold)]);
    rows.push(['**macro**', f3(f.macro.precision), f3(f.macro.recall), f3(f.macro.f1), String(f.counts.gold)]);
    out.push(table(['label', 'precision', 'recall', 'F1', 'support'], rows));
  } else {
    out.push(`Accuracy **${f3(f.accuracy)}**, macro F1 ${f3(f.macro_f1)}${f.auroc !== null ? `, AUROC ${f3(f.auroc)} (${cell(f.confusion.labels[1]!)} as positive)` : ''}; ${f.documents} notes.`);
    out.push('');
    out.push(table(['label', 'precision', 'recall', 'F1', 'support'], Object.entries(f.per_class).map(([l, s]) => [cell(l), f3(s.precision), f3(s.recall), f3(s.f1), String(s.support)])));
    out.push('');
    out.push('Confusion matrix (rows: gold, columns: predicted):');
    out.push('');
    out.push(table(['gold \\ predicted', ...f.confusion.labels.map(cell)], f.confusion.matrix.map((row, i) => [cell(f.confusion.labels[i]!), ...row.map(String)])));
  }
  return out.join('\n');
}

export function trainingReportMarkdown(m: TrainingMetrics): string {
  const score = m.task === 'ner' ? 'dev entity F1' : 'dev macro F1';
  const lines: string[] = [];
  lines.push(`# Training report: heads/${m.head}`);
  lines.push('');
  if (m.demo) {
    lines.push('> **The encoder has random weights (a demo model): these figures measure the plumbing, not quality.**');
    lines.push('');
  }
  const st = m.settings;
  lines.push(`- task: ${m.task === 'ner' ? 'entities (token classification, IOB2)' : 'note classification'}; labels: ${m.labels.map(cell).join(', ')}`);
  lines.push(`- encoder: ${cell(m.encoder.name)} (${m.encoder.model_type}, ${m.encoder.layers} layers, hidden ${m.encoder.hidden_size}), frozen; fingerprint ${m.encoder.fingerprint.slice(0, 19)}...`);
  lines.push(`- head: ${st.architecture}${st.architecture === 'mlp' ? ` (width ${st.mlp_hidden}, dropout ${st.dropout})` : ''} on the last ${st.layers} layer${st.layers === 1 ? '' : 's'}${st.pooling ? `, ${st.pooling} pooling` : ''}; AdamW lr ${st.learning_rate}, weight decay ${st.weight_decay}, batch ${st.batch_size}, class weights ${st.class_weights}, seed ${st.seed}`);
  lines.push(`- notes: ${m.split.train} train, ${m.split.dev} dev${m.split.dev_given ? ' (given)' : ''}, ${m.split.test} test${m.split.test_given ? ' (given)' : ''}${!m.split.dev_given && !m.split.test_given ? ' (split by note, seeded 80/10/10)' : ''}; dataset ${m.dataset.fingerprint.slice(0, 19)}...; ${m.dataset.problems} problem${m.dataset.problems === 1 ? '' : 's'} in the data`);
  lines.push(`- epochs: ${m.history.length} of at most ${st.epochs} (patience ${st.patience}), best dev at epoch ${m.best_epoch}`);
  const t = m.timings;
  lines.push(`- time: features ${t.features_seconds.toFixed(1)} s (${t.windows} windows, ${t.windows_cached} from the cache), training ${t.training_seconds.toFixed(1)} s (${t.seconds_per_epoch.toFixed(2)} s per epoch), total ${t.total_seconds.toFixed(1)} s`);
  lines.push('');
  lines.push('## Test figures');
  lines.push('');
  lines.push(figuresMarkdown(m.test));
  lines.push('');
  lines.push('## Training');
  lines.push('');
  lines.push(`loss \`${sparkline(m.history.map((h) => h.loss))}\`  ${score} \`${sparkline(m.history.map((h) => h.dev_score))}\``);
  lines.push('');
  lines.push(table(['epoch', 'loss', 'dev loss', score, 'seconds'], m.history.map((h) => [h.epoch === m.best_epoch ? `**${h.epoch}**` : String(h.epoch), h.loss.toFixed(4), h.dev_loss.toFixed(4), f3(h.dev_score), h.seconds.toFixed(2)])));
  lines.push('');
  lines.push(`Dev figures at the best epoch: ${m.dev.task === 'ner' ? `entity F1 ${f3(m.dev.f1)}` : `accuracy ${f3(m.dev.accuracy)}, macro F1 ${f3(m.dev.macro_f1)}`}.`);
  if (m.dataset.problems > 0) {
    lines.push('');
    lines.push('## Problems in the data');
    lines.push('');
    for (const p of m.dataset.problem_list.slice(0, 20)) lines.push(`- ${cell(p.doc)}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}: ${cell(p.message)}`);
    if (m.dataset.problems > 20) lines.push(`- ... and ${m.dataset.problems - 20} more (metrics.json lists up to ${m.dataset.problem_list.length})`);
  }
  return lines.join('\n') + '\n';
}
