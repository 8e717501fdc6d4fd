/**
 * A tokenizer normalizes text (NFC, lowercase, accent stripping) before it splits
 * it, so the token strings spell the normalized text, not the note. These
 * alignments lead every UTF-16 unit of the normalized text back to the span of
 * the original text it came from, so offsets can point into the note as written.
 */

export interface NormalizedText {
  /** the text the tokenizer actually saw */
  text: string;
  /**
   * For normalized unit i, the [origStart[i], origEnd[i]) span of the original
   * text it came from; null when the text is the original unchanged.
   */
  origStart: Int32Array | null;
  origEnd: Int32Array | null;
}

export type UnicodeForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

/**
 * Unicode normalization, aligned chunk by chunk. A code point below U+0300 has
 * canonical combining class 0 and is never the second half of a composition,
 * so nothing before it can combine with it or reorder around it: the text can be
 * cut before each such code point and normalized piece by piece. A piece that
 * normalization changes maps as a whole (e + U+0301 -> é covers both).
 */
export function alignUnicodeNormalization(text: string, form: UnicodeForm): NormalizedText {
  // Below U+0300 every character is already in NFC: most notes need no ICU call at all
  if (form === 'NFC' && allBelowCombiningMarks(text)) return { text, origStart: null, origEnd: null };
  const whole = text.normalize(form);
  if (whole === text) return { text, origStart: null, origEnd: null };
  const starts: number[] = [];
  const ends: number[] = [];
  const pieces: string[] = [];
  let chunkStart = 0;
  const flush = (end: number) => {
    if (end <= chunkStart) return;
    const chunk = text.slice(chunkStart, end);
    const normalized = chunk.normalize(form);
    pieces.push(normalized);
    if (normalized === chunk) {
      for (let k = chunkStart; k < end; k++) {
        starts.push(k);
        ends.push(k + 1);
      }
    } else {
      for (let k = 0; k < normalized.length; k++) {
        starts.push(chunkStart);
        ends.push(end);
      }
    }
    chunkStart = end;
  };
  for (let i = 1; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x300) flush(i);
  }
  flush(text.length);
  return finish(pieces.join(''), starts, ends);
}

function allBelowCombiningMarks(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x300) return false;
  return true;
}

/**
 * Normalization one code point at a time, for normalizers that act on single
 * characters (BERT's lowercase, accent stripping, control-character removal,
 * CJK spacing). Each output unit maps to the code point that produced it; code
 * points that normalize to nothing leave no trace.
 */
export function alignCharwise(text: string, normalizeChar: (ch: string) => string): NormalizedText {
  const starts: number[] = [];
  const ends: number[] = [];
  const pieces: string[] = [];
  let changed = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    const width = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    const ch = width === 1 ? text[i] : text.slice(i, i + 2);
    const out = normalizeChar(ch);
    if (out !== ch) changed = true;
    pieces.push(out);
    for (let k = 0; k < out.length; k++) {
      starts.push(i);
      ends.push(i + width);
    }
    i += width;
  }
  if (!changed) return { text, origStart: null, origEnd: null };
  return finish(pieces.join(''), starts, ends);
}

/** Memoizes a per-character normalizer: notes repeat the same few hundred characters. */
export function cachedCharNormalizer(normalize: (s: string) => string): (ch: string) => string {
  const cache = new Map<string, string>();
  return (ch) => {
    let out = cache.get(ch);
    if (out === undefined) {
      out = normalize(ch);
      cache.set(ch, out);
    }
    return out;
  };
}

function finish(text: string, starts: number[], ends: number[]): NormalizedText {
  return { text, origStart: Int32Array.from(starts), origEnd: Int32Array.from(ends) };
}

/** The original span of the normalized span [start, end); empty spans stay empty, at the right place. */
export function originalSpan(norm: NormalizedText, start: number, end: number, originalLength: number): [number, number] {
  const { origStart, origEnd } = norm;
  if (origStart === null || origEnd === null) return [start, end];
  const n = origStart.length;
  if (start >= n) return [originalLength, originalLength];
  const s = origStart[start];
  if (end <= start) return [s, s];
  return [s, origEnd[Math.min(end, n) - 1]];
}
