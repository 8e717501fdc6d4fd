/**
 * Note embeddings. A window's vector is the mean of its token vectors (special
 * tokens included, as sentence-transformers pools) or its [CLS] vector; a long
 * note's vector is the mean of its windows weighted by each window's content
 * tokens, then L2-normalised, so a short tail window does not count as much as a
 * full one.
 */
import type { EmbedResult, Pooling } from '../coreProtocol';
import type { LoadedModel, TensorOut } from '../host';
import type { TokenWindow } from '../text/types';

/** Pools one window's last_hidden_state ([seq, hidden]) into a vector. */
export function poolWindow(hidden: TensorOut, pooling: Pooling): Float32Array {
  const [seq, width] = hidden.dims;
  const v = new Float32Array(width);
  if (pooling === 'cls' || seq === 0) {
    v.set(hidden.data.subarray(0, width));
    return v;
  }
  for (let t = 0; t < seq; t++) {
    const row = t * width;
    for (let j = 0; j < width; j++) v[j] += hidden.data[row + j];
  }
  for (let j = 0; j < width; j++) v[j] /= seq;
  return v;
}

export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Token-weighted mean of window vectors; a note with no content tokens weighs its single window 1. */
export function combineWindows(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const width = vectors[0].length;
  const out = new Float32Array(width);
  let total = 0;
  vectors.forEach((v, i) => {
    const w = Math.max(weights[i], vectors.length === 1 ? 1 : 0);
    total += w;
    for (let j = 0; j < width; j++) out[j] += w * v[j];
  });
  if (total > 0) for (let j = 0; j < width; j++) out[j] /= total;
  return l2normalize(out);
}

export async function embedTexts(model: LoadedModel, texts: readonly string[], pooling: Pooling, signal?: AbortSignal): Promise<EmbedResult> {
  const perText: TokenWindow[][] = texts.map((t) => model.windows(t));
  const flat = perText.flat();
  const outs = await model.run(
    flat.map((w) => w.ids),
    ['last_hidden_state'],
    signal,
  );
  const embeddings: Float32Array[] = [];
  const tokens: number[] = [];
  let k = 0;
  for (const windows of perText) {
    const vectors: Float32Array[] = [];
    const weights: number[] = [];
    let content = 0;
    for (const w of windows) {
      vectors.push(poolWindow(outs[k++].last_hidden_state, pooling));
      weights.push(w.tokenEnd - w.tokenStart);
      content += w.tokenEnd - w.tokenStart;
    }
    embeddings.push(combineWindows(vectors, weights));
    tokens.push(content);
  }
  return { embeddings, dims: model.info.hidden, tokens };
}
