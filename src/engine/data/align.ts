/**
 * Labelled documents -> the engine's tokens, windows and words: the road
 * inference takes (tokenizer, windows.ts, nerDecode.ts), walked backwards, so
 * a head learns exactly what decoding later reads.
 *
 * - Tokens and windows come from the model's own `windows(text)`: the same
 *   window size and stride as inference.
 * - Words are nerDecode's `mergeWords` over the note's content tokens. At
 *   inference a word takes its first piece's label, so in training the first
 *   piece of each word carries the word's BIO tag (IOB2) and every other piece,
 *   and [CLS]/[SEP], is ignored (-100, as transformers marks them).
 * - A span must fall on word boundaries: every word it touches lies inside it
 *   (whitespace at its edges is no problem). A span that cuts a word, covers no
 *   word, overlaps another span, or lies outside the text is reported with
 *   document and offsets, and left out; it is never moved to other text.
 *   Reports carry offsets and label names, never note text.
 */
import type { DatasetProblem, LabelledDocument, LabelledSpan } from './types';
import type { TokenWindow } from '../text/types';
import { contentPositions, mergeWords, type StitchedToken } from '../tasks/nerDecode';

/** transformers' ignore index: positions that do not count in the loss */
export const IGNORE = -100;

export const OUTSIDE = 'O';

/** What alignment needs from a loaded model: its windows, built as inference builds them. */
export interface WindowSource {
  windows(text: string): TokenWindow[];
}

export interface AlignedWord {
  start: number;
  end: number;
  /** index of the word's first piece among the note's content tokens */
  firstToken: number;
}

export interface AlignedDocument {
  id: string;
  text: string;
  windows: TokenWindow[];
  words: AlignedWord[];
  /** token tasks: one IOB2 tag per word ("O", "B-Disease", "I-Disease") */
  wordTags?: string[];
  /** sequence tasks: the document's label */
  label?: string;
}

export type AlignTask = 'token' | 'sequence';

/** IOB2 tags for entity labels: O, then B- and I- of each label in the order given. */
export function iob2Tags(labels: readonly string[]): string[] {
  return [OUTSIDE, ...labels.flatMap((l) => [`B-${l}`, `I-${l}`])];
}

/** The note's words, each with its first content token (nerDecode's rule 2). */
export function wordsOf(text: string, windows: readonly TokenWindow[]): AlignedWord[] {
  const tokens: StitchedToken[] = [];
  for (const w of windows) {
    const positions = contentPositions(w);
    for (let k = 0; k < positions.length; k++) {
      const g = w.tokenStart + k;
      if (tokens[g]) continue;
      const [start, end] = w.offsets[positions[k]!]!;
      // label carries the token's index through mergeWords: a word keeps its first piece's
      tokens[g] = { start, end, label: g, prob: 0 };
    }
  }
  return mergeWords(text, tokens.filter((t) => t !== undefined)).map((w) => ({ start: w.start, end: w.end, firstToken: w.label }));
}

function spanText(s: LabelledSpan): string {
  return `"${s.label}" span [${s.start}, ${s.end})`;
}

/** First index of a word ending after `offset` (words are sorted and disjoint). */
function firstWordEndingAfter(words: readonly AlignedWord[], offset: number): number {
  let lo = 0;
  let hi = words.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (words[mid]!.end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Word tags of one document's spans; problems for the spans left out. A span
 * is kept when it is inside the text, touches at least one word, cuts none,
 * and overlaps no span kept before it (spans sorted by start, longer first).
 */
export function tagWords(doc: { id: string; text: string; spans: readonly LabelledSpan[] }, words: readonly AlignedWord[]): { tags: string[]; problems: DatasetProblem[] } {
  const tags = words.map(() => OUTSIDE);
  const problems: DatasetProblem[] = [];
  const report = (s: LabelledSpan, message: string) => problems.push({ doc: doc.id, start: s.start, end: s.end, message });
  const sorted = [...doc.spans].sort((a, b) => a.start - b.start || b.end - a.end);
  let kept: LabelledSpan | undefined;
  for (const s of sorted) {
    if (typeof s.label !== 'string' || s.label.trim() === '') {
      report(s, `span [${s.start}, ${s.end}) has no label; it is left out.`);
      continue;
    }
    if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end > doc.text.length || s.start >= s.end) {
      report(s, `${spanText(s)} is not inside the text (length ${doc.text.length}); it is left out.`);
      continue;
    }
    const first = firstWordEndingAfter(words, s.start);
    let last = first;
    while (last < words.length && words[last]!.start < s.end) last++;
    if (last === first) {
      report(s, `${spanText(s)} covers no token (only spaces or nothing the tokenizer keeps); it is left out.`);
      continue;
    }
    const a = words[first]!;
    const b = words[last - 1]!;
    if (a.start < s.start || b.end > s.end) {
      const cut = [a.start < s.start ? `starts inside the token [${a.start}, ${a.end})` : '', b.end > s.end ? `ends inside the token [${b.start}, ${b.end})` : ''].filter(Boolean).join(' and ');
      report(s, `${spanText(s)} does not fall on token boundaries: it ${cut}; the nearest aligned span is [${a.start}, ${b.end}). It is left out.`);
      continue;
    }
    if (kept && s.start < kept.end) {
      report(s, `${spanText(s)} overlaps the ${spanText(kept)}; BIO tags cannot hold nested or overlapping entities, so it is left out.`);
      continue;
    }
    kept = s;
    for (let i = first; i < last; i++) tags[i] = `${i === first ? 'B' : 'I'}-${s.label}`;
  }
  return { tags, problems };
}

/**
 * Aligns documents for a task: token tasks need `spans` (an empty list is a
 * note without entities), sequence tasks a `label`; documents without them are
 * reported and left out.
 */
export function alignDocuments(docs: readonly LabelledDocument[], source: WindowSource, task: AlignTask): { documents: AlignedDocument[]; problems: DatasetProblem[] } {
  const documents: AlignedDocument[] = [];
  const problems: DatasetProblem[] = [];
  for (const doc of docs) {
    if (task === 'token' && !doc.spans) {
      problems.push({ doc: doc.id, message: 'the document has no entity spans (not even an empty list); it is left out of entity training.' });
      continue;
    }
    if (task === 'sequence' && (typeof doc.label !== 'string' || doc.label === '')) {
      problems.push({ doc: doc.id, message: 'the document has no label; it is left out of classification training.' });
      continue;
    }
    if (doc.text.trim() === '') {
      problems.push({ doc: doc.id, message: 'the document is empty; it is left out.' });
      continue;
    }
    const windows = source.windows(doc.text);
    const words = wordsOf(doc.text, windows);
    const aligned: AlignedDocument = { id: doc.id, text: doc.text, windows, words };
    if (task === 'token') {
      const r = tagWords({ id: doc.id, text: doc.text, spans: doc.spans! }, words);
      aligned.wordTags = r.tags;
      problems.push(...r.problems);
    } else {
      aligned.label = doc.label;
    }
    documents.push(aligned);
  }
  return { documents, problems };
}

/**
 * Per window, the class index each position trains on: the word's tag at its
 * first piece, IGNORE elsewhere. A word whose first piece lies in several
 * overlapping windows is trained in each of them.
 */
export function windowTargets(doc: AlignedDocument, tagIndex: ReadonlyMap<string, number>): Int32Array[] {
  const firstOf = new Map<number, number>();
  doc.words.forEach((w, i) => firstOf.set(w.firstToken, i));
  return doc.windows.map((w) => {
    const targets = new Int32Array(w.ids.length).fill(IGNORE);
    const positions = contentPositions(w);
    for (let k = 0; k < positions.length; k++) {
      const word = firstOf.get(w.tokenStart + k);
      if (word === undefined) continue;
      const t = tagIndex.get(doc.wordTags![word]!);
      if (t !== undefined) targets[positions[k]!] = t;
    }
    return targets;
  });
}
