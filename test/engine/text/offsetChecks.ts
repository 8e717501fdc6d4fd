/**
 * What every encoding must satisfy, whatever the tokenizer: shared by the
 * tokenizer tests (this file is not a test by itself).
 */
import assert from 'node:assert/strict';
import type { ClinicalTokenizer } from '../../../src/engine/text/tokenizer';
import type { Encoding } from '../../../src/engine/text/types';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** true when `i` falls between the two halves of a surrogate pair */
export function splitsSurrogatePair(text: string, i: number): boolean {
  return i > 0 && i < text.length && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1));
}

/** The token's bytes are whole UTF-8 characters (not part of an emoji's four bytes). */
function holdsWholeCharacters(tok: ClinicalTokenizer, id: number): boolean {
  return !tok.tokenText(id).includes('\uFFFD');
}

/**
 * Offsets in bounds, in order, never inside a surrogate pair; specials empty at
 * the ends; and each token that holds whole characters spells exactly the text
 * its offsets point at (after the tokenizer's NFC, for decomposed input).
 */
export function assertOffsetsSpellTheText(tok: ClinicalTokenizer, text: string, enc: Encoding): void {
  assert.equal(enc.offsets.length, enc.ids.length);
  assert.equal(enc.special.length, enc.ids.length);
  let prevStart = 0;
  enc.ids.forEach((id, i) => {
    const [s, e] = enc.offsets[i];
    assert.ok(0 <= s && s <= e && e <= text.length, `token ${i} offsets [${s}, ${e}) outside 0..${text.length}`);
    assert.ok(s >= prevStart, `token ${i} starts at ${s}, before the previous token (${prevStart})`);
    prevStart = s;
    assert.ok(!splitsSurrogatePair(text, s) && !splitsSurrogatePair(text, e), `token ${i} cuts a surrogate pair`);
    if (enc.special[i]) {
      assert.equal(s, e, `special token ${i} has a non-empty span`);
      return;
    }
    const slice = text.slice(s, e);
    if (holdsWholeCharacters(tok, id)) {
      assert.equal(tok.tokenText(id), slice.normalize('NFC'), `token ${i} (${JSON.stringify(tok.tokenString(id))}) vs its span`);
    } else {
      assert.ok(slice.length > 0, `token ${i} holds part of a character but points at nothing`);
    }
  });
}
