/**
 * The engine worker: the one thread that owns every inference session. It
 * answers requests from the extension host (engineClient.ts) and streams
 * progress; a cancel message aborts the request's signal.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from './engine';
import { toErrorValue } from './errors';
import type { FromWorker, ToWorker } from './protocol';
import { domainHandlers } from './domains';

if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const storageDir = (workerData as { storageDir?: string } | undefined)?.storageDir ?? path.join(os.tmpdir(), 'clinical-modernbert');
const engine = new Engine({ storageDir, log: (level, message) => post({ kind: 'log', level, message }) }, domainHandlers);
const running = new Map<number, AbortController>();

port.on('message', (m: ToWorker) => {
  if (m.kind === 'cancel') {
    running.get(m.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(m.id, controller);
  const transfers: ArrayBuffer[] = [];
  engine
    .call(m.method, m.params as never, {
      signal: controller.signal,
      progress: (progress) => post({ kind: 'progress', id: m.id, progress }),
      log: (level, message) => post({ kind: 'log', level, message }),
      transfer: (buffers) => transfers.push(...buffers),
    })
    .then(
      (result) => post({ kind: 'result', id: m.id, result }, transfers),
      (e: unknown) => post({ kind: 'error', id: m.id, error: toErrorValue(e) }),
    )
    .finally(() => running.delete(m.id));
});

post({ kind: 'ready' });
