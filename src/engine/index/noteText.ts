/**
 * Bytes of a note file to the text VS Code shows: UTF-8 with the BOM removed,
 * or Latin-1 when the bytes are not valid UTF-8 (every byte maps to one
 * character, so offsets still point at the right characters).
 */

export interface DecodedNote {
  text: string;
  latin1: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function decodeNote(bytes: Uint8Array): DecodedNote {
  try {
    return { text: utf8.decode(bytes), latin1: false };
  } catch {
    return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), latin1: true };
  }
}

/** NUL bytes do not occur in text notes (UTF-16 files are treated as binary too) */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) >= 0;
}
