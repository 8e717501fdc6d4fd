/**
 * Offsets for tokenizers whose tokens spell the normalized text directly
 * (WordPiece as in BERT and BioClinicalBERT, Unigram/Metaspace): each token's
 * surface form is found in the normalized text, after the whitespace the
 * pre-tokenizer dropped, then led back to the original text.
 */
import { originalSpan, type NormalizedText } from './normalizedText';

export interface SurfaceRules {
  /** WordPiece's mark on pieces inside a word ('##') */
  continuingPrefix?: string;
  /** Metaspace's stand-in for a space ('▁') */
  metaspace?: string;
  /** BPE's end-of-word mark ('</w>') */
  endOfWordSuffix?: string;
  unkId?: number;
  /** added tokens are spelled as they are, with no prefix or mark to remove */
  isAdded(id: number): boolean;
}

const WHITESPACE = /\s/u;
const PUNCTUATION = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;

export function charLevelOffsets(
  ids: ArrayLike<number>,
  tokens: readonly string[],
  rules: SurfaceRules,
  norm: NormalizedText,
  original: string,
  out: Int32Array,
): void {
  const text = norm.text;
  const originalLength = original.length;
  let cur = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const p = skipWhitespace(text, cur);
    if (rules.isAdded(id)) {
      // added tokens are cut out before normalization ("[MASK]" is not lowercased): look in the original
      const o = skipWhitespace(original, toOriginal(norm, p, originalLength));
      const token = tokens[k];
      if (original.startsWith(token, o)) {
        const end = o + token.length;
        let q = p;
        while (q < text.length && toOriginal(norm, q, originalLength) < end) q++;
        cur = q;
        out[2 * k] = o;
        out[2 * k + 1] = end;
        continue;
      }
    }
    let s = p;
    let e = p;
    if (id === rules.unkId && !rules.isAdded(id)) {
      // [UNK] stands for a whole word the vocabulary cannot spell
      e = wordEnd(text, p);
    } else {
      const surface = surfaceOf(tokens[k], id, rules);
      if (surface.length === 0) {
        e = p;
      } else if (text.startsWith(surface, p)) {
        e = p + surface.length;
      } else {
        const found = text.indexOf(surface, p);
        if (found >= 0 && found < wordEnd(text, p) + 1) {
          s = found;
          e = found + surface.length;
        } else {
          // normalization differed from ours in context (final sigma): same length, same word
          e = Math.min(p + surface.length, Math.max(wordEnd(text, p), p + 1), text.length);
        }
      }
    }
    cur = e;
    const span = originalSpan(norm, s, e, originalLength);
    out[2 * k] = span[0];
    out[2 * k + 1] = span[1];
  }
}

function toOriginal(norm: NormalizedText, i: number, originalLength: number): number {
  if (norm.origStart === null) return i;
  return i < norm.origStart.length ? norm.origStart[i] : originalLength;
}

function surfaceOf(token: string, id: number, rules: SurfaceRules): string {
  if (rules.isAdded(id)) return token;
  let s = token;
  const prefix = rules.continuingPrefix;
  if (prefix && s.length > prefix.length && s.startsWith(prefix)) s = s.slice(prefix.length);
  const suffix = rules.endOfWordSuffix;
  if (suffix && s.length > suffix.length && s.endsWith(suffix)) s = s.slice(0, s.length - suffix.length);
  if (rules.metaspace && s.includes(rules.metaspace)) s = s.split(rules.metaspace).join(' ').trimStart();
  return s;
}

function skipWhitespace(text: string, at: number): number {
  let p = at;
  while (p < text.length) {
    const c = text.charCodeAt(p);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) p++;
    else if (c > 0x7f && WHITESPACE.test(text[p])) p++;
    else break;
  }
  return p;
}

/** End of the pre-tokenizer word starting at p: one punctuation character, or a run up to whitespace or punctuation. */
function wordEnd(text: string, p: number): number {
  if (p >= text.length) return p;
  const first = codePointAt(text, p);
  if (PUNCTUATION.test(first)) return p + first.length;
  let q = p;
  while (q < text.length) {
    const ch = codePointAt(text, q);
    if (WHITESPACE.test(ch) || PUNCTUATION.test(ch)) break;
    q += ch.length;
  }
  return q;
}

function codePointAt(text: string, i: number): string {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) return text.slice(i, i + 2);
  return text[i];
}
