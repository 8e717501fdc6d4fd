/**
 * Code embeddings projected to 2D with UMAP (umap-js, MIT, the PAIR team's
 * port of McInnes et al.), seeded so a map is the same each time it is
 * computed. The layout is optimised an epoch at a time, so progress is
 * reported and a cancel stops it between epochs.
 */
import { UMAP } from 'umap-js';
import { EngineError } from '../errors';
import { seededUniform } from '../seededRandom';

export interface ProjectionOptions {
  /** neighbours per point in UMAP's graph (15: UMAP's default) */
  nNeighbors?: number;
  minDist?: number;
  seed?: number;
  /** 0: UMAP's default (500 epochs up to 10,000 points, 200 above) */
  epochs?: number;
}

/** what a projection depends on besides its points, for cache keys */
export const PROJECTION_VERSION = 'umap-js-1.4.0:v1';

export const defaultProjectionOptions: Required<ProjectionOptions> = { nNeighbors: 15, minDist: 0.1, seed: 42, epochs: 0 };

const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/**
 * Projects vectors to 2D: x, y per vector. Fewer than three points are laid
 * on a line (UMAP needs neighbours).
 */
export async function projectVectors(
  vectors: readonly Float32Array[],
  opts: ProjectionOptions = {},
  hooks: { signal?: AbortSignal; progress?: (fraction: number, message: string) => void } = {},
): Promise<Float32Array> {
  const o = { ...defaultProjectionOptions, ...opts };
  const n = vectors.length;
  const xy = new Float32Array(n * 2);
  if (n < 3) {
    for (let i = 0; i < n; i++) xy[2 * i] = i;
    return xy;
  }
  const cancelled = () => {
    if (hooks.signal?.aborted) throw new EngineError('cancelled', 'Drawing the ICD map was cancelled.');
  };
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(o.nNeighbors, n - 1), minDist: o.minDist, random: seededUniform(o.seed), ...(o.epochs ? { nEpochs: o.epochs } : {}) });
  hooks.progress?.(0, `Finding the neighbours of ${n.toLocaleString('en-US')} codes`);
  await yieldToEvents();
  cancelled();
  // umap-js reads rows by index and length only: Float32Array rows need no copy
  const epochs = umap.initializeFit(vectors as unknown as number[][]);
  for (let e = 0; e < epochs; e++) {
    if (e % 10 === 0) {
      hooks.progress?.(0.1 + (0.9 * e) / epochs, `Laying out the map (${e} of ${epochs} rounds)`);
      await yieldToEvents();
      cancelled();
    }
    umap.step();
  }
  const emb = umap.getEmbedding();
  for (let i = 0; i < n; i++) {
    xy[2 * i] = emb[i]![0]!;
    xy[2 * i + 1] = emb[i]![1]!;
  }
  return xy;
}
