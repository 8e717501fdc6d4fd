/**
 * Logits of aligned documents -> figures, through the decoding inference uses
 * (nerDecode's stitching and words, classify's window aggregation), so the
 * trainer's test figures, `cmb eval` and the editor's highlights agree.
 */
import { EngineError } from '../errors';
import type { TensorOut } from '../host';
import type { AlignedDocument } from '../data/align';
import { mergeWords, stitchWindows } from '../tasks/nerDecode';
import { aggregateWindows } from '../tasks/classify';
import { classificationMetrics, entityMetrics } from './metrics';
import type { ClassifyFigures, NerFigures } from './protocol';

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Predicted tag per word of one document, read as nerDecode reads a note: stitched windows, each word's first piece. */
export function predictedWordTags(doc: AlignedDocument, logits: readonly TensorOut[], id2label: readonly string[]): string[] {
  const words = mergeWords(doc.text, stitchWindows(doc.windows, logits, id2label.length));
  if (words.length !== doc.words.length || words.some((w, i) => w.start !== doc.words[i]!.start || w.end !== doc.words[i]!.end)) {
    throw new EngineError('internal', `Document ${doc.id}: decoding found other words than alignment did.`);
  }
  return words.map((w) => id2label[w.label] ?? 'O');
}

export function nerFigures(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): NerFigures {
  const m = entityMetrics(gold, predicted, 'default');
  const s = entityMetrics(gold, predicted, 'strict');
  const perLabel: NerFigures['per_label'] = {};
  for (const [k, v] of Object.entries(m.perLabel)) perLabel[k] = { precision: round(v.precision), recall: round(v.recall), f1: round(v.f1), support: v.support };
  return {
    task: 'ner',
    documents: gold.length,
    words: m.tokens,
    precision: round(m.micro.precision),
    recall: round(m.micro.recall),
    f1: round(m.micro.f1),
    macro: { precision: round(m.macro.precision), recall: round(m.macro.recall), f1: round(m.macro.f1) },
    token_accuracy: round(m.tokenAccuracy),
    per_label: perLabel,
    counts: m.counts,
    strict: { precision: round(s.micro.precision), recall: round(s.micro.recall), f1: round(s.micro.f1), macro_f1: round(s.macro.f1) },
  };
}

/** Note probabilities from window logits, aggregated as classify.ts does at inference. */
export function notePrediction(doc: AlignedDocument, logits: readonly TensorOut[], labels: readonly string[]): { label: number; probabilities: number[] } {
  const r = aggregateWindows(doc.windows, logits, labels);
  const probabilities = labels.map((l) => r.scores[l]!);
  return { label: labels.indexOf(r.label), probabilities };
}

/**
 * Classification figures; `labels` are the head's, gold labels it does not
 * know are appended (rows nothing is predicted for) so they count as errors.
 */
export function classifyFigures(labels: readonly string[], goldLabels: readonly string[], predictions: ReadonlyArray<{ label: number; probabilities: number[] }>): ClassifyFigures {
  const all = [...labels];
  for (const g of goldLabels) if (!all.includes(g)) all.push(g);
  const gold = goldLabels.map((g) => all.indexOf(g));
  const m = classificationMetrics(all, gold, predictions.map((p) => p.label), all.length === labels.length ? predictions.map((p) => p.probabilities) : undefined);
  const perClass: ClassifyFigures['per_class'] = {};
  for (const [k, v] of Object.entries(m.perClass)) perClass[k] = { precision: round(v.precision), recall: round(v.recall), f1: round(v.f1), support: v.support };
  return {
    task: 'classify',
    documents: m.examples,
    accuracy: round(m.accuracy),
    macro_f1: round(m.macroF1),
    per_class: perClass,
    confusion: { labels: m.labels, matrix: m.confusion },
    auroc: m.auroc === null ? null : round(m.auroc),
  };
}
