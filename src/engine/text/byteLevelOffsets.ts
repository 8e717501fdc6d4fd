/**
 * Offsets for byte-level BPE (GPT-2, RoBERTa, ModernBERT). Concatenated, the
 * tokens' bytes are the UTF-8 bytes of the normalized text, so walking both
 * together gives each token's byte span; a byte -> UTF-16 table turns that into
 * character offsets. A token holding only some of a character's bytes (an emoji
 * split in two) gets the whole character's span, as Hugging Face tokenizers do.
 */
import { originalSpan, type NormalizedText } from './normalizedText';

/**
 * Writes [start, end) pairs into out[2k], out[2k+1] for each id, as UTF-16
 * offsets into the original text.
 */
export function byteLevelOffsets(
  ids: ArrayLike<number>,
  bytesOf: (id: number) => Uint8Array,
  norm: NormalizedText,
  originalLength: number,
  out: Int32Array,
): void {
  const text = norm.text;
  const buf = Buffer.from(text, 'utf8');
  const n = buf.length;
  const unitOf = byteToUnitTable(text, n);
  const identity = norm.origStart === null;
  let cur = 0;
  for (let k = 0; k < ids.length; k++) {
    const tb = bytesOf(ids[k]);
    const len = tb.length;
    let s = cur;
    let e = cur + len;
    if (!matchesAt(buf, cur, tb)) {
      let p = cur;
      while (p < n && isAsciiSpace(buf[p])) p++;
      if (p > cur && matchesAt(buf, p, tb)) {
        // whitespace an added token stripped (lstrip/rstrip) belongs to no token
        s = p;
        e = p + len;
      } else if (len > 1 && tb[0] === 0x20 && matchesAt(buf, cur, tb.subarray(1))) {
        // a prefix space the pre-tokenizer added is not in the text
        e = cur + len - 1;
      } else {
        const found = len > 0 ? buf.indexOf(tb, cur) : -1;
        if (found >= 0) {
          s = found;
          e = found + len;
        } else {
          // nothing in the text spells this token: an empty span where we stand
          e = cur;
        }
      }
    }
    cur = e;
    const su = unitOf[s];
    let q = e;
    while (q < n && (buf[q] & 0xc0) === 0x80) q++;
    const eu = e > s ? unitOf[q] : su;
    if (identity) {
      out[2 * k] = su;
      out[2 * k + 1] = eu;
    } else {
      const span = originalSpan(norm, su, eu, originalLength);
      out[2 * k] = span[0];
      out[2 * k + 1] = span[1];
    }
  }
}

/** unit[b] = UTF-16 index of the start of the character that byte b belongs to; unit[n] = text.length. */
function byteToUnitTable(text: string, n: number): Int32Array {
  const unit = new Int32Array(n + 1);
  let b = 0;
  const len = text.length;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      unit[b++] = i;
    } else if (c < 0x800) {
      unit[b++] = i;
      unit[b++] = i;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      unit[b++] = i;
      unit[b++] = i;
      unit[b++] = i;
      unit[b++] = i;
      i++;
    } else {
      // BMP characters, and lone surrogates (written as U+FFFD, also 3 bytes)
      unit[b++] = i;
      unit[b++] = i;
      unit[b++] = i;
    }
  }
  unit[n] = len;
  return unit;
}

function matchesAt(buf: Uint8Array, at: number, tb: Uint8Array): boolean {
  const len = tb.length;
  if (at + len > buf.length) return false;
  for (let j = 0; j < len; j++) if (buf[at + j] !== tb[j]) return false;
  return true;
}

function isAsciiSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}
