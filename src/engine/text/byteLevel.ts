/**
 * GPT-2's byte-level alphabet: every byte 0..255 is written as one printable
 * Unicode character so that BPE vocabularies can be stored as JSON strings.
 * Offsets need the way back, from token strings to the UTF-8 bytes they stand for.
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const isPrintable = new Set(printable);
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    out[b] = isPrintable.has(b) ? String.fromCharCode(b) : String.fromCharCode(next++);
  }
  return out;
}

/** BYTE_TO_CHAR[b] is the character that stands for byte b in a byte-level vocabulary. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE = new Int16Array(512).fill(-1);
for (let b = 0; b < 256; b++) CHAR_TO_BYTE[BYTE_TO_CHAR[b].charCodeAt(0)] = b;

/** The bytes a byte-level token string stands for, or null if it holds a character outside the alphabet. */
export function byteLevelTokenBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < 512 ? CHAR_TO_BYTE[c] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}

/** The byte-level spelling of a text (what a ByteLevel pre-tokenizer feeds to BPE). */
export function toByteLevel(text: string): string {
  let s = '';
  for (const b of Buffer.from(text, 'utf8')) s += BYTE_TO_CHAR[b];
  return s;
}
