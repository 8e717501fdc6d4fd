/**
 * Offsets counted in Unicode code points (what Python tools write: brat,
 * Prodigy, doccano, spaCy) against the engine's UTF-16 offsets. The two differ
 * only after a character outside the Basic Multilingual Plane (an emoji, some
 * CJK), which takes two UTF-16 units and one code point.
 */

function hasSurrogates(text: string): boolean {
  return /[\uD800-\uDFFF]/.test(text);
}

/**
 * Code point index -> UTF-16 index for `text`; undefined beyond the end. A
 * lone surrogate counts as one code point, as Python counts it.
 */
export function codePointToUtf16(text: string): (cp: number) => number | undefined {
  if (!hasSurrogates(text)) return (cp) => (Number.isInteger(cp) && cp >= 0 && cp <= text.length ? cp : undefined);
  const at: number[] = [];
  for (let i = 0; i < text.length; i++) {
    at.push(i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  at.push(text.length);
  return (cp) => (Number.isInteger(cp) && cp >= 0 && cp < at.length ? at[cp] : undefined);
}

/** UTF-16 index -> code point index; undefined inside a surrogate pair or beyond the end. */
export function utf16ToCodePoint(text: string): (u: number) => number | undefined {
  if (!hasSurrogates(text)) return (u) => (Number.isInteger(u) && u >= 0 && u <= text.length ? u : undefined);
  const cpAt = new Int32Array(text.length + 1).fill(-1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    cpAt[i] = cp++;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  cpAt[text.length] = cp;
  return (u) => (Number.isInteger(u) && u >= 0 && u <= text.length && cpAt[u]! >= 0 ? cpAt[u] : undefined);
}
