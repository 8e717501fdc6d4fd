/**
 * Typed, cancellable requests to the engine worker. The worker owns every
 * inference session (onnxruntime-node's run() blocks its thread); if it dies it
 * is restarted and pending requests fail with a clear error.
 */
import { Worker } from 'node:worker_threads';
import { EngineError, type EngineErrorValue } from './engine/errors';
import { disableOnnxRuntimeTelemetry } from './engine/model/telemetryOff';
import type { FromWorker, MethodName, ParamsOf, Progress, ResultOf, ToWorker } from './engine/protocol';

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** buffers in params to transfer rather than copy */
  transfer?: ArrayBuffer[];
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (p: Progress) => void;
  cleanup(): void;
}

export interface EngineClientEvents {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** the worker exited unexpectedly; it has been restarted */
  crashed(reason: string): void;
}

export class EngineClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  /** replayed on restart so a crash does not lose the loaded model */
  private restartHooks: Array<() => void> = [];

  constructor(
    private readonly workerPath: string,
    private readonly events: EngineClientEvents,
    /** passed to the worker: where it may keep databases and caches */
    private readonly workerData: { storageDir: string },
  ) {}

  /** called after the worker is (re)started, e.g. to reload the model */
  onRestart(hook: () => void): void {
    this.restartHooks.push(hook);
  }

  request<M extends MethodName>(method: M, params: ParamsOf<M>, opts: RequestOptions = {}): Promise<ResultOf<M>> {
    if (this.disposed) return Promise.reject(new EngineError('internal', 'The engine has been shut down.'));
    if (opts.signal?.aborted) return Promise.reject(new EngineError('cancelled', 'Cancelled.'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<ResultOf<M>>((resolve, reject) => {
      const onAbort = () => {
        worker.postMessage({ kind: 'cancel', id } satisfies ToWorker);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: opts.onProgress,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      worker.postMessage({ kind: 'request', id, method, params } satisfies ToWorker, opts.transfer ?? []);
    });
  }

  dispose(): Promise<void> {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    this.failAll({ code: 'internal', message: 'The engine has been shut down.' });
    return w ? w.terminate().then(() => undefined) : Promise.resolve();
  }

  /** ends the worker (and its sessions); the next request starts a fresh one */
  async restart(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failAll({ code: 'worker-crashed', message: 'The engine was restarted.' });
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // the worker loads onnxruntime-node, which reads this from the process environment
    disableOnnxRuntimeTelemetry();
    const w = new Worker(this.workerPath, { workerData: this.workerData });
    this.worker = w;
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (e) => this.events.log('error', `Engine worker error: ${e.message}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return; // terminated on purpose
      this.worker = undefined;
      const reason = `The engine worker stopped unexpectedly (exit code ${code}).`;
      this.failAll({ code: 'worker-crashed', message: `${reason} It will be restarted on the next request.` });
      if (!this.disposed) {
        this.events.crashed(reason);
        for (const h of this.restartHooks) h();
      }
    });
    return w;
  }

  private failAll(error: EngineErrorValue): void {
    for (const [, p] of this.pending) {
      p.cleanup();
      p.reject(new EngineError(error.code, error.message));
    }
    this.pending.clear();
  }

  private onMessage(m: FromWorker): void {
    switch (m.kind) {
      case 'log':
        this.events.log(m.level, m.message);
        return;
      case 'ready':
        return;
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.progress);
        return;
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.cleanup();
        if (m.kind === 'result') p.resolve(m.result);
        else p.reject(new EngineError(m.error.code, m.error.message));
      }
    }
  }
}
