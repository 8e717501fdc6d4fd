/**
 * Passages without a model: fixed character windows cut at whitespace, with
 * overlap. Used for lexical-only indexes (no model, or a demo model) and as a
 * deterministic chunker in tests.
 */
import { EngineError } from '../errors';
import type { Chunk, ChunkEmbedder } from './embedder';

export interface WordChunkerOptions {
  /** target characters per passage */
  chars: number;
  /** characters shared by consecutive passages */
  overlap: number;
}

const defaults: WordChunkerOptions = { chars: 1200, overlap: 200 };

export function chunkByWords(text: string, opts: WordChunkerOptions = defaults): Chunk[] {
  const size = Math.max(16, opts.chars);
  const overlap = Math.min(Math.max(0, opts.overlap), Math.floor(size / 2));
  const chunks: Chunk[] = [];
  let start = skipSpace(text, 0);
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      // cut at the last whitespace in the window's second half; a line of megabytes without spaces is cut hard
      const ws = lastSpace(text, start + Math.floor(size / 2), end);
      if (ws > start) end = ws;
      // never split a surrogate pair
      if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    }
    const trimmedEnd = trimEnd(text, start, end);
    if (trimmedEnd > start) chunks.push({ start, end: trimmedEnd, tokens: countWords(text, start, trimmedEnd) });
    if (end >= text.length) break;
    let next = Math.max(end - overlap, start + 1);
    // start the next passage at a word start
    if (next > start + 1 && next < end) {
      const ws = text.slice(next, end).search(/\s/);
      if (ws >= 0) next += ws;
    }
    if (isLowSurrogate(text.charCodeAt(next))) next++;
    start = skipSpace(text, next);
  }
  return chunks;
}

function skipSpace(t: string, i: number): number {
  while (i < t.length && /\s/.test(t[i])) i++;
  return i;
}
function trimEnd(t: string, start: number, end: number): number {
  while (end > start && /\s/.test(t[end - 1])) end--;
  return end;
}
function lastSpace(t: string, from: number, to: number): number {
  for (let i = to; i > from; i--) if (/\s/.test(t[i - 1])) return i - 1;
  return -1;
}
function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
function countWords(t: string, start: number, end: number): number {
  let n = 0;
  let inWord = false;
  for (let i = start; i < end; i++) {
    const space = /\s/.test(t[i]);
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** An embedder that only chunks: the index it builds is lexical only. */
export function lexicalOnlyEmbedder(opts: WordChunkerOptions = defaults): ChunkEmbedder {
  return {
    fingerprint: `words:${opts.chars}:${opts.overlap}`,
    dims: 0,
    demo: true,
    chunk: (text) => chunkByWords(text, opts),
    embed: () => Promise.reject(new EngineError('not-loaded', 'No model is loaded, so the search index is lexical only.')),
  };
}
