import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { loadModel } from '../../../src/engine/model/loadModel';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { classifyText } from '../../../src/engine/tasks/classify';

test('a random-weight model classifies, and its result says it is a demo', async () => {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-classify-demo-')), 'm');
  makeTestModelFolder({ arch: 'bert', head: 'sequence', out: dir });
  const model = await loadModel(dir, { ...defaultEngineSettings, executionProvider: 'cpu' });
  try {
    const r = await classifyText(model, 'CT chest: no pulmonary embolism.');
    assert.equal(r.demo, true);
    assert.deepEqual(Object.keys(r.scores), ['discharge_summary', 'radiology', 'progress_note']);
    // a real checkpoint is not flagged
    const real = await classifyText({ ...model, info: { ...model.info, demo: false } }, 'CT chest: no pulmonary embolism.');
    assert.equal(real.demo, undefined);
  } finally {
    await model.dispose();
  }
});
