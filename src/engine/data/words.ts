/**
 * Words for formats that need tokens (CoNLL export) when the source had none:
 * a word is a run of letters, digits and combining marks, and every other
 * character that is not whitespace is a word by itself ("T-cell" -> "T", "-",
 * "cell"). This is the tokenization of the NCBI-disease and most biomedical
 * CoNLL corpora, and BERT's pre-tokenizer rule, so spans drawn on such text
 * fall on word boundaries.
 */
import type { SourceWord } from './types';

const WORD = /[\p{L}\p{N}\p{M}]+|[^\p{L}\p{N}\p{M}\s]/gu;

export function splitWords(text: string): SourceWord[] {
  const words: SourceWord[] = [];
  for (const m of text.matchAll(WORD)) words.push({ start: m.index, end: m.index + m[0].length });
  return words;
}
