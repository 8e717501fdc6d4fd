import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, directContext } from '../../../src/engine/engine';
import { createIcdHandlers } from '../../../src/engine/icd/handlers';
import { RELEASE, tempDir } from './fixtures';

test('the ICD handlers join the engine as a domain and answer through engine.call', async () => {
  const engine = new Engine({ storageDir: tempDir('engine'), log: () => undefined }, [createIcdHandlers]);
  const progress: string[] = [];
  const status = await engine.call('icd.install', { kind: 'folder', path: RELEASE }, directContext({ progress: (p) => progress.push(p.message) }));
  assert.equal(status.installed, true);
  assert.ok(progress.length > 0);
  const r = await engine.call('icd.lookup', { codes: ['E11.9'] }, directContext());
  assert.deepEqual(r.results[0]!.readings[0]!.parents.map((p) => p.display), ['E11', 'E08-E13', 'Chapter 4 (E00-E89)']);
  const d = await engine.call('icd.detect', { text: 'hx 250.00, BP 120/80' }, directContext());
  assert.deepEqual(d.codes.map((c) => c.written), ['250.00']);
});
