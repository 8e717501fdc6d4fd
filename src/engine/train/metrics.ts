/**
 * Evaluation figures, defined once for the TypeScript trainer, `cmb eval` and
 * the PyTorch companion (which ports this file; docs/training.md states the
 * semantics in words).
 *
 * Entities follow seqeval: a sequence of tags per document, entities are
 * (type, first word, last word) chunks, and a prediction counts only when
 * type and both boundaries equal a gold entity's (exact match).
 *
 * - mode "default" is seqeval's default (conlleval) chunking: an I-X that does
 *   not continue an X chunk starts one, which is also how the decoder repairs
 *   tags (nerDecode.ts rule 4): these figures score the highlights users see.
 * - mode "strict" is seqeval's mode="strict" with scheme IOB2: a chunk must
 *   start with B-X and continue with I-X; an I-X without its B-X is no entity.
 *
 * Per type: precision, recall, F1 and support (gold count); micro: counts
 * pooled over types; macro: the unweighted mean of the per-type figures over
 * every type in gold or prediction; a ratio with a zero denominator is 0
 * (seqeval's zero_division default). Token accuracy: tags equal / tags.
 *
 * Classification: accuracy, per-class precision/recall/F1/support,
 * macro-F1 (mean over classes with gold or predicted examples), a confusion
 * matrix (rows: gold, columns: predicted, in label order), and for two classes
 * the AUROC of the second label's probability (ties count one half).
 */

export interface Scores {
  precision: number;
  recall: number;
  f1: number;
  /** gold entities or examples */
  support: number;
}

export interface EntityMetrics {
  mode: 'default' | 'strict';
  /** per entity type, sorted by name */
  perLabel: Record<string, Scores>;
  micro: Scores;
  macro: Scores;
  /** gold and predicted entities, and how many matched */
  counts: { gold: number; predicted: number; correct: number };
  tokenAccuracy: number;
  /** words scored (the tags compared) */
  tokens: number;
}

export interface Chunk {
  type: string;
  /** first word */
  start: number;
  /** one past the last word */
  end: number;
}

function ratio(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

function scores(correct: number, predicted: number, gold: number): Scores {
  const precision = ratio(correct, predicted);
  const recall = ratio(correct, gold);
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, support: gold };
}

/** prefix and type of a tag; BILOU's L and U read as IOBES's E and S */
function splitTag(tag: string): { prefix: string; type: string } {
  if (tag === 'O' || tag === '') return { prefix: 'O', type: '' };
  const m = /^([BIELSU])-(.*)$/.exec(tag);
  if (!m) return { prefix: 'I', type: tag };
  const prefix = m[1] === 'L' ? 'E' : m[1] === 'U' ? 'S' : m[1]!;
  return { prefix, type: m[2] || '_' };
}

/** seqeval's default chunking (end_of_chunk / start_of_chunk). */
function chunksDefault(tags: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const { prefix: tag, type } = i < tags.length ? splitTag(tags[i]!) : { prefix: 'O', type: '' };
    const end =
      prevTag === 'E' || prevTag === 'S' ||
      ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) ||
      (prevTag !== 'O' && prevType !== type);
    if (end) chunks.push({ type: prevType, start: begin, end: i });
    const start =
      tag === 'B' || tag === 'S' ||
      ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) ||
      (tag !== 'O' && prevType !== type);
    if (start) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return chunks;
}

/** seqeval's strict IOB2 chunking: B-X then I-X*, nothing else. */
function chunksStrict(tags: readonly string[]): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < tags.length) {
    const t = splitTag(tags[i]!);
    if (t.prefix !== 'B') {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < tags.length) {
      const n = splitTag(tags[j]!);
      if (n.prefix !== 'I' || n.type !== t.type) break;
      j++;
    }
    chunks.push({ type: t.type, start: i, end: j });
    i = j;
  }
  return chunks;
}

/** The entities a tag sequence holds, in the given mode. */
export function chunksOf(tags: readonly string[], mode: 'default' | 'strict' = 'default'): Chunk[] {
  return mode === 'strict' ? chunksStrict(tags) : chunksDefault(tags);
}

/** Entity-level figures over documents (one tag sequence per document; entities never cross documents). */
export function entityMetrics(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[], mode: 'default' | 'strict' = 'default'): EntityMetrics {
  if (gold.length !== predicted.length) throw new Error(`entityMetrics: ${gold.length} gold and ${predicted.length} predicted sequences`);
  const perType = new Map<string, { gold: number; predicted: number; correct: number }>();
  const count = (type: string) => {
    let c = perType.get(type);
    if (!c) perType.set(type, (c = { gold: 0, predicted: 0, correct: 0 }));
    return c;
  };
  let tokens = 0;
  let equal = 0;
  gold.forEach((g, d) => {
    const p = predicted[d]!;
    if (g.length !== p.length) throw new Error(`entityMetrics: document ${d} has ${g.length} gold and ${p.length} predicted tags`);
    tokens += g.length;
    for (let i = 0; i < g.length; i++) if (g[i] === p[i]) equal++;
    const goldKeys = new Set<string>();
    for (const c of chunksOf(g, mode)) {
      count(c.type).gold++;
      goldKeys.add(`${c.type}\u0000${c.start}\u0000${c.end}`);
    }
    for (const c of chunksOf(p, mode)) {
      const k = count(c.type);
      k.predicted++;
      if (goldKeys.has(`${c.type}\u0000${c.start}\u0000${c.end}`)) k.correct++;
    }
  });
  const types = [...perType.keys()].sort();
  const perLabel: Record<string, Scores> = {};
  const total = { gold: 0, predicted: 0, correct: 0 };
  for (const t of types) {
    const c = perType.get(t)!;
    perLabel[t] = scores(c.correct, c.predicted, c.gold);
    total.gold += c.gold;
    total.predicted += c.predicted;
    total.correct += c.correct;
  }
  return {
    mode,
    perLabel,
    micro: scores(total.correct, total.predicted, total.gold),
    macro: macro(Object.values(perLabel), total.gold),
    counts: total,
    tokenAccuracy: ratio(equal, tokens),
    tokens,
  };
}

function macro(list: readonly Scores[], support: number): Scores {
  const mean = (f: (s: Scores) => number) => (list.length ? list.reduce((a, s) => a + f(s), 0) / list.length : 0);
  return { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1), support };
}

export interface ClassificationMetrics {
  labels: string[];
  accuracy: number;
  macroF1: number;
  perClass: Record<string, Scores>;
  /** confusion[gold][predicted], indices in `labels` order */
  confusion: number[][];
  /** two classes: AUROC of labels[1]'s probability; null otherwise, or when one class has no gold example */
  auroc: number | null;
  examples: number;
}

/**
 * Classification figures. `probabilities[i]` is example i's probability per
 * label (only read for the AUROC of two classes).
 */
export function classificationMetrics(labels: readonly string[], gold: readonly number[], predicted: readonly number[], probabilities?: readonly (readonly number[])[]): ClassificationMetrics {
  if (gold.length !== predicted.length) throw new Error(`classificationMetrics: ${gold.length} gold and ${predicted.length} predicted labels`);
  const n = labels.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  gold.forEach((g, i) => {
    confusion[g]![predicted[i]!]!++;
    if (g === predicted[i]) correct++;
  });
  const perClass: Record<string, Scores> = {};
  const present: Scores[] = [];
  labels.forEach((l, c) => {
    const tp = confusion[c]![c]!;
    const goldCount = confusion[c]!.reduce((a, b) => a + b, 0);
    const predCount = confusion.reduce((a, row) => a + row[c]!, 0);
    perClass[l] = scores(tp, predCount, goldCount);
    if (goldCount > 0 || predCount > 0) present.push(perClass[l]!);
  });
  let auroc: number | null = null;
  if (n === 2 && probabilities) auroc = aurocOf(gold.map((g) => g === 1), probabilities.map((p) => p[1]!));
  return { labels: [...labels], accuracy: ratio(correct, gold.length), macroF1: macro(present, gold.length).f1, perClass, confusion, auroc, examples: gold.length };
}

/** Area under the ROC curve by ranks (Mann-Whitney U), ties averaged; null without both classes. */
export function aurocOf(positive: readonly boolean[], score: readonly number[]): number | null {
  const order = score.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(score.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = mid;
    i = j + 1;
  }
  let pos = 0;
  let rankSum = 0;
  positive.forEach((p, i) => {
    if (p) {
      pos++;
      rankSum += ranks[i]!;
    }
  });
  const neg = positive.length - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
