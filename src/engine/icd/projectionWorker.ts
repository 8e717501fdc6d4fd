/**
 * A thread for one projection (dist/projectionWorker.js): UMAP's neighbour
 * search runs for tens of seconds without a pause on ~15,000 codes, and in the
 * engine worker that would hold up every hover and highlight meanwhile. No
 * inference session lives here, only arithmetic.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { projectVectors, type ProjectionOptions } from './projection';
import type { ProjectionMessage } from './projectionThread';

const port = parentPort!;
const { vectors, options } = workerData as { vectors: Float32Array[]; options: ProjectionOptions };
const post = (m: ProjectionMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

projectVectors(vectors, options, { progress: (fraction, message) => post({ kind: 'progress', fraction, message }) }).then(
  (xy) => post({ kind: 'done', xy }, [xy.buffer as ArrayBuffer]),
  (e: unknown) => post({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
);
