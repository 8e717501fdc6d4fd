/**
 * What the index needs from a model: chunk a note into passages with character
 * spans, and embed passages. The engine adapts LoadedModel to this; tests and
 * the lexical-only path use their own implementations.
 */

export interface Chunk {
  /** [start, end) UTF-16 offsets into the note text */
  start: number;
  end: number;
  tokens: number;
}

export interface ChunkEmbedder {
  /** changes whenever chunking or vectors would change (model, window size, pooling) */
  fingerprint: string;
  dims: number;
  /** demo or random-weight model: vectors are noise, so the index is lexical only */
  demo: boolean;
  /** where the vectors come from, named in messages (the model folder) */
  source?: string;
  chunk(text: string): Chunk[];
  /** one L2-normalised vector of `dims` per text */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** true when the embedder's vectors are worth searching */
export function hasVectors(e: ChunkEmbedder): boolean {
  return !e.demo && e.dims > 0;
}
