import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineClient } from '../../../src/engineClient';
import { EngineError } from '../../../src/engine/errors';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import type { Progress } from '../../../src/engine/protocol';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { nerDocuments } from './synthetic';

// training as the editor will run it: the bundled worker behind the client
const workerPath = path.resolve(__dirname, '..', '..', '..', 'dist', 'engineWorker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-train-worker-'));
const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };

test('train.run in the worker: epoch progress reaches the client, a cancel stops it and leaves no folder, a full run writes the head', async () => {
  const dir = path.join(tmp, 'encoder');
  makeTestModelFolder({ arch: 'modernbert', out: dir });
  const c = new EngineClient(workerPath, { log: () => undefined, crashed: () => undefined }, { storageDir: tmp });
  try {
    await c.request('model.load', { path: dir, settings });
    const docs = nerDocuments(200, 1);
    const ac = new AbortController();
    const seen: Progress[] = [];
    await assert.rejects(
      c.request('train.run', { task: 'ner', documents: docs, name: 'stopped', epochs: 500, patience: 500 }, {
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p);
          if (p.training?.epoch === 2 && p.training.loss !== undefined) ac.abort();
        },
      }),
      (e: unknown) => e instanceof EngineError && e.code === 'cancelled',
    );
    const epochs = seen.filter((p) => p.training?.loss !== undefined);
    assert.ok(epochs.length >= 2 && epochs.length < 500, `${epochs.length} epochs before the cancel took`);
    assert.ok(epochs.every((p) => p.training!.devScore !== undefined && p.training!.etaSeconds !== undefined && p.training!.epochs === 500));
    assert.ok(!fs.existsSync(path.join(dir, 'heads', 'stopped')));
    assert.deepEqual(fs.existsSync(path.join(dir, 'heads')) ? fs.readdirSync(path.join(dir, 'heads')) : [], []);

    const r = await c.request('train.run', { task: 'ner', documents: docs, name: 'done', epochs: 3, learningRate: 0.01 });
    assert.equal(r.dir, path.join(dir, 'heads', 'done'));
    assert.equal(r.metrics.history.length, 3);
    assert.ok(fs.existsSync(path.join(r.dir, 'metrics.json')));
  } finally {
    await c.dispose();
  }
});
