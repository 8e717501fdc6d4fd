/**
 * Runs a projection in its own thread when the bundled projectionWorker.js
 * lies beside the running bundle (the extension's engine worker, the CLI),
 * else in this thread (tests run the sources). Cancel ends the thread at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../errors';
import { projectVectors, type ProjectionOptions } from './projection';

export type ProjectionMessage = { kind: 'progress'; fraction: number; message: string } | { kind: 'done'; xy: Float32Array } | { kind: 'error'; message: string };

export interface ProjectionHooks {
  signal?: AbortSignal;
  progress?: (fraction: number, message: string) => void;
}

/** the bundled thread's file, when this code runs from a bundle */
export function projectionWorkerFile(): string | undefined {
  const f = join(__dirname, 'projectionWorker.js');
  return existsSync(f) ? f : undefined;
}

export function runProjection(vectors: Float32Array[], options: ProjectionOptions, hooks: ProjectionHooks = {}): Promise<Float32Array> {
  const file = projectionWorkerFile();
  if (!file) return projectVectors(vectors, options, hooks);
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) return reject(new EngineError('cancelled', 'Drawing the ICD map was cancelled.'));
    const worker = new Worker(file, { workerData: { vectors, options } });
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      f();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new EngineError('cancelled', 'Drawing the ICD map was cancelled.')));
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: ProjectionMessage) => {
      if (m.kind === 'progress') hooks.progress?.(m.fraction, m.message);
      else if (m.kind === 'done') finish(() => resolve(m.xy));
      else finish(() => reject(new EngineError('internal', `The ICD map could not be computed: ${m.message}`)));
    });
    worker.on('error', (e) => finish(() => reject(new EngineError('internal', `The ICD map could not be computed: ${e.message}`))));
    worker.on('exit', (code) => finish(() => reject(new EngineError('internal', `The ICD map's thread stopped (exit code ${code}); the machine may be short of memory.`))));
  });
}
