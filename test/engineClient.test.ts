import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../src/engineClient';
import { EngineError } from '../src/engine/errors';

// A stand-in worker speaking the protocol, so the client's behaviour (progress,
// cancellation, transfer, crash and restart) is tested without a model.
const fakeWorker = `
const { parentPort, workerData } = require('node:worker_threads');
const timers = new Map();
parentPort.on('message', (m) => {
  if (m.kind === 'cancel') {
    clearTimeout(timers.get(m.id));
    parentPort.postMessage({ kind: 'error', id: m.id, error: { code: 'cancelled', message: 'Cancelled.' } });
    return;
  }
  if (m.method === 'echo') {
    parentPort.postMessage({ kind: 'progress', id: m.id, progress: { message: 'half', fraction: 0.5 } });
    parentPort.postMessage({ kind: 'log', level: 'info', message: 'storage ' + workerData.storageDir });
    const v = new Float32Array([1, 2, 3]);
    parentPort.postMessage({ kind: 'result', id: m.id, result: { params: m.params, v } }, [v.buffer]);
  } else if (m.method === 'slow') {
    timers.set(m.id, setTimeout(() => parentPort.postMessage({ kind: 'result', id: m.id, result: 'late' }), 10000));
  } else if (m.method === 'die') {
    process.exit(3);
  } else {
    parentPort.postMessage({ kind: 'error', id: m.id, error: { code: 'bad-input', message: 'Unknown engine method.' } });
  }
});
parentPort.postMessage({ kind: 'ready' });
`;

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-client-'));
  const file = path.join(dir, 'worker.js');
  fs.writeFileSync(file, fakeWorker);
  const logs: string[] = [];
  const crashes: string[] = [];
  const client = new EngineClient(file, { log: (_l, m) => logs.push(m), crashed: (r) => crashes.push(r) }, { storageDir: dir });
  // the methods above are the fake worker's, not the engine's
  const call = (method: string, params: unknown = {}, opts = {}) => client.request(method as 'model.info', params as Record<string, never>, opts);
  return { client, call, logs, crashes, dir };
}

test('requests resolve with results, progress and logs reach the caller', async () => {
  const { client, call, logs, dir } = setup();
  const progress: number[] = [];
  const r = (await call('echo', { a: 1 }, { onProgress: (p: { fraction?: number }) => progress.push(p.fraction ?? -1) })) as unknown as { params: unknown; v: Float32Array };
  assert.deepEqual(r.params, { a: 1 });
  assert.deepEqual(Array.from(r.v), [1, 2, 3]);
  assert.deepEqual(progress, [0.5]);
  assert.ok(logs.includes(`storage ${dir}`));
  await client.dispose();
});

test('errors come back as EngineError values', async () => {
  const { client, call } = setup();
  await assert.rejects(call('nope'), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
  await client.dispose();
});

test('cancelling a request rejects it as cancelled', async () => {
  const { client, call } = setup();
  const ac = new AbortController();
  const p = call('slow', {}, { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(p, (e: unknown) => e instanceof EngineError && e.code === 'cancelled');
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(call('echo', {}, { signal: pre.signal }), /Cancelled/);
  await client.dispose();
});

test('a worker crash fails pending requests, is reported, and the next request gets a new worker', async () => {
  const { client, call, crashes } = setup();
  let restarted = 0;
  client.onRestart(() => restarted++);
  const pending = call('slow');
  await assert.rejects(call('die'), (e: unknown) => e instanceof EngineError && e.code === 'worker-crashed' && /exit code 3/.test(e.message));
  await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === 'worker-crashed');
  assert.equal(crashes.length, 1);
  assert.equal(restarted, 1);
  const r = (await call('echo', { again: true })) as unknown as { params: unknown };
  assert.deepEqual(r.params, { again: true });
  await client.dispose();
  await assert.rejects(call('echo'), /shut down/);
});
