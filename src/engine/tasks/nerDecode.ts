/**
 * Token-classification logits -> entity spans in document character offsets.
 *
 * The pipeline, each step a documented rule:
 *
 * 1. **Stitching.** Windows overlap; every content token gets its logits from
 *    the window where it is most central (largest distance to the nearer
 *    window edge), because a token near an edge has seen the least context.
 *    Ties go to the earlier window.
 * 2. **Words.** Sub-word pieces are merged into words and a word takes its
 *    first piece's label (the transformers convention for word-level NER
 *    training). A word is a maximal run of tokens with no gap between one
 *    token's end and the next token's start, where neither side of the joint
 *    is punctuation, and the next token does not begin with whitespace (BPE
 *    tokenizers put the space inside the token). This matches BERT's
 *    pre-tokenizer: words split at whitespace and at every punctuation mark.
 *    Byte-level pieces of one multi-byte character each carry that character's
 *    whole span, so a piece that starts inside the current word joins it.
 * 3. **Scheme.** Detected from the label names: any `L-`/`U-` (or `E-`/`S-`)
 *    label means BILOU (BIOES); `B-`/`I-` labels mean IOB2; bare labels
 *    ("PROBLEM", "O") mean IO, where consecutive words of one type form a span.
 * 4. **Repair.** Invalid sequences are repaired, never dropped: an `I-X` (or
 *    `L-X`) that does not continue an open `X` span starts a new `X` span (the
 *    conlleval convention); a `B-X` without its `L-X` ends where the next word
 *    does not continue it; `U-X` is always a one-word span.
 * 5. **Confidence.** A span's score is the mean over its words of the first
 *    piece's maximum softmax probability.
 *
 * Entity types are the label suffixes lower-cased ("B-PROBLEM" -> "problem"),
 * so model and lexicon types (file names) meet in one namespace.
 */
import type { TensorOut } from '../host';
import type { TokenWindow } from '../text/types';
import { EngineError } from '../errors';

export type TagScheme = 'iob2' | 'bilou' | 'io';

export interface DecodedSpan {
  start: number;
  end: number;
  type: string;
  /** mean first-piece max softmax over the span's words, 0..1 */
  score: number;
}

type Prefix = 'B' | 'I' | 'L' | 'U' | 'O';

interface ParsedLabel {
  prefix: Prefix;
  /** lower-cased entity type; '' for O */
  type: string;
}

const PREFIXED = /^([BIELSU])[-_](.+)$/;

export function detectScheme(labels: readonly string[]): TagScheme {
  let prefixed = false;
  for (const l of labels) {
    const m = PREFIXED.exec(l);
    if (!m) continue;
    prefixed = true;
    if ('LUES'.includes(m[1]!)) return 'bilou';
  }
  return prefixed ? 'iob2' : 'io';
}

export function parseLabel(label: string, scheme: TagScheme): ParsedLabel {
  if (label === 'O' || label === '' || label.toUpperCase() === 'O') return { prefix: 'O', type: '' };
  if (scheme !== 'io') {
    const m = PREFIXED.exec(label);
    if (m) {
      const p = m[1]!;
      const prefix: Prefix = p === 'E' ? 'L' : p === 'S' ? 'U' : (p as Prefix);
      return { prefix, type: m[2]!.toLowerCase() };
    }
  }
  // a bare label inside a prefixed scheme, or any label in IO: a word of that type
  return { prefix: 'I', type: label.toLowerCase() };
}

/** One content token of the note after stitching. */
export interface StitchedToken {
  start: number;
  end: number;
  /** argmax class index */
  label: number;
  /** max softmax probability */
  prob: number;
}

function argmaxSoftmax(data: Float32Array, offset: number, n: number): { label: number; prob: number } {
  let best = 0;
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    const v = data[offset + j]!;
    if (v > max) {
      max = v;
      best = j;
    }
  }
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(data[offset + j]! - max);
  return { label: best, prob: 1 / sum };
}

/**
 * Positions of a window's content tokens inside its ids: [CLS] x [SEP] when the
 * window carries two specials, otherwise those with a non-empty span.
 */
export function contentPositions(w: TokenWindow): number[] {
  const count = w.tokenEnd - w.tokenStart;
  if (w.ids.length === count + 2) return Array.from({ length: count }, (_, k) => k + 1);
  if (w.ids.length === count) return Array.from({ length: count }, (_, k) => k);
  const out: number[] = [];
  for (let p = 0; p < w.offsets.length; p++) if (w.offsets[p]![1] > w.offsets[p]![0]) out.push(p);
  return out.slice(0, count);
}

/** Picks each content token's logits from the window where it is most central. */
export function stitchWindows(windows: readonly TokenWindow[], logits: readonly TensorOut[], numLabels: number): StitchedToken[] {
  if (windows.length !== logits.length) {
    throw new EngineError('internal', `NER decoding got ${logits.length} logit tensors for ${windows.length} windows.`);
  }
  const byToken = new Map<number, { centrality: number; token: StitchedToken }>();
  for (let wi = 0; wi < windows.length; wi++) {
    const w = windows[wi]!;
    const t = logits[wi]!;
    if (t.dims.length !== 2 || t.dims[1] !== numLabels) {
      throw new EngineError(
        'unsupported-model',
        `The model's logits have shape [${t.dims.join(', ')}]; token classification needs [tokens, ${numLabels}] (one score per label in config.json id2label).`,
      );
    }
    const positions = contentPositions(w);
    const last = w.tokenEnd - w.tokenStart - 1;
    for (let k = 0; k < positions.length; k++) {
      const p = positions[k]!;
      if (p >= t.dims[0]!) break;
      const g = w.tokenStart + k;
      const centrality = Math.min(k, last - k);
      const prev = byToken.get(g);
      if (prev && prev.centrality >= centrality) continue;
      const [start, end] = w.offsets[p]!;
      const { label, prob } = argmaxSoftmax(t.data, p * numLabels, numLabels);
      byToken.set(g, { centrality, token: { start, end, label, prob } });
    }
  }
  return [...byToken.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v.token);
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const SPACE = /\s/;

export interface Word {
  start: number;
  end: number;
  /** label and probability of the first piece */
  label: number;
  prob: number;
}

/** Merges sub-word pieces into words (rule 2 in the header). */
export function mergeWords(text: string, tokens: readonly StitchedToken[]): Word[] {
  const words: Word[] = [];
  let cur: Word | undefined;
  for (const t of tokens) {
    let start = t.start;
    while (start < t.end && SPACE.test(text[start]!)) start++;
    if (start >= t.end) continue; // a whitespace-only token carries no word
    const leadingSpace = start > t.start;
    // byte-level pieces of one multi-byte character ("È" in two pieces, an emoji in three) each carry
    // the whole character's span: a piece starting inside the current word shares a character with it
    const sharesCharacter = cur !== undefined && t.start < cur.end;
    const joins =
      sharesCharacter ||
      (cur !== undefined &&
        !leadingSpace &&
        t.start === cur.end &&
        WORD_CHAR.test(text[cur.end - 1] ?? '') &&
        WORD_CHAR.test(text[start]!));
    if (joins && cur) {
      cur.end = Math.max(cur.end, t.end);
    } else {
      cur = { start, end: t.end, label: t.label, prob: t.prob };
      words.push(cur);
    }
  }
  return words;
}

/** Words with labels -> spans, repairing invalid sequences (rule 4 in the header). */
export function wordsToSpans(words: readonly Word[], id2label: readonly string[], scheme: TagScheme = detectScheme(id2label)): DecodedSpan[] {
  const parsed = id2label.map((l) => parseLabel(l, scheme));
  const spans: DecodedSpan[] = [];
  let open: { start: number; end: number; type: string; probs: number[] } | undefined;
  const close = () => {
    if (!open) return;
    const score = open.probs.reduce((a, b) => a + b, 0) / open.probs.length;
    spans.push({ start: open.start, end: open.end, type: open.type, score });
    open = undefined;
  };
  for (const w of words) {
    const lab = parsed[w.label] ?? { prefix: 'O' as Prefix, type: '' };
    const continues = open !== undefined && open.type === lab.type && (lab.prefix === 'I' || lab.prefix === 'L');
    if (lab.prefix === 'O') {
      close();
      continue;
    }
    if (continues && open) {
      open.end = w.end;
      open.probs.push(w.prob);
    } else {
      close();
      open = { start: w.start, end: w.end, type: lab.type, probs: [w.prob] };
    }
    if (lab.prefix === 'L' || lab.prefix === 'U') close();
  }
  close();
  return spans;
}

/** The whole pipeline for one note: windows and their [seq, labels] logits -> spans. */
export function decodeTokenLogits(
  text: string,
  windows: readonly TokenWindow[],
  logits: readonly TensorOut[],
  id2label: readonly string[],
): DecodedSpan[] {
  if (id2label.length === 0) {
    throw new EngineError('unsupported-model', 'The model has no labels (config.json has no id2label), so its output cannot be read as entities.');
  }
  const tokens = stitchWindows(windows, logits, id2label.length);
  return wordsToSpans(mergeWords(text, tokens), id2label);
}
