import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEngineSettings, type EngineSettings } from '../../../src/engine/coreProtocol';
import { EngineError } from '../../../src/engine/errors';
import type { EngineHost, LoadedModel, TaskHeadInfo } from '../../../src/engine/host';
import { loadModel } from '../../../src/engine/model/loadModel';
import { makeTestHead } from '../../../src/engine/model/testHead';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { chooseTaskHead } from '../../../src/engine/tasks/heads';
import { createTaskHandlers } from '../../../src/engine/tasks/handlers';
import { Engine, directContext } from '../../../src/engine/engine';
import { domainHandlers } from '../../../src/engine/domains';
import { FakeModel } from './fakeModel';

function withHeads(m: FakeModel, heads: TaskHeadInfo[]): FakeModel {
  (m as { heads?: TaskHeadInfo[] }).heads = heads;
  return m;
}

const tokenA: TaskHeadInfo = { name: 'problems', task: 'token', labels: ['O', 'B-PROBLEM', 'I-PROBLEM'] };
const tokenB: TaskHeadInfo = { name: 'drugs', task: 'token', labels: ['O', 'B-DRUG', 'I-DRUG'] };
const notes: TaskHeadInfo = { name: 'note-type', task: 'sequence', labels: ['discharge', 'radiology'] };

test('without a name: the checkpoint\'s own head, else the only head folder of the task, else none', () => {
  const own = chooseTaskHead(withHeads(new FakeModel({ head: 'token' }), [tokenA]), 'token');
  assert.deepEqual(own?.runOptions, {});
  assert.equal(own?.name, undefined);
  const folder = chooseTaskHead(withHeads(new FakeModel({ head: 'none' }), [tokenA, notes]), 'token');
  assert.deepEqual(folder, { labels: tokenA.labels, runOptions: { head: 'problems' }, name: 'problems' });
  assert.equal(chooseTaskHead(withHeads(new FakeModel({ head: 'none' }), [notes]), 'token'), undefined);
  assert.equal(chooseTaskHead(new FakeModel({ head: 'none' }), 'sequence'), undefined);
});

test('a name picks a head folder, even over the checkpoint\'s own head', () => {
  const h = chooseTaskHead(withHeads(new FakeModel({ head: 'token' }), [tokenA, tokenB]), 'token', 'drugs');
  assert.deepEqual(h, { labels: tokenB.labels, runOptions: { head: 'drugs' }, name: 'drugs' });
});

test('bad input: an unknown name, a head of the other task, or several candidates say what to set', () => {
  const m = withHeads(new FakeModel({ head: 'none' }), [tokenA, tokenB, notes]);
  assert.throws(() => chooseTaskHead(m, 'token', 'nope'), (e: unknown) => e instanceof EngineError && /no token-classification head named "nope" \(it has problems, drugs\); check clinicalModernbert\.tokenHead/.test(e.message));
  assert.throws(() => chooseTaskHead(m, 'token', 'note-type'), /classifies whole notes, not tokens/);
  assert.throws(() => chooseTaskHead(m, 'token'), /several token-classification heads \(problems, drugs\); choose one with clinicalModernbert\.tokenHead/);
});

// ---- through the real engine: a tiny encoder with random head folders beside it

const dir = join(mkdtempSync(join(tmpdir(), 'cmb-task-heads-')), 'encoder');
makeTestModelFolder({ arch: 'modernbert', out: dir });
makeTestHead({ encoderDir: dir, name: 'entities', task: 'token', labels: ['O', 'B-PROBLEM', 'I-PROBLEM'], std: 1 });
makeTestHead({ encoderDir: dir, name: 'note-type', task: 'sequence', labels: ['discharge_summary', 'radiology'], pooling: 'mean' });

function hostFor(model: LoadedModel, settings: EngineSettings): EngineHost {
  return { settings: () => settings, model: () => model, storageDir: () => tmpdir(), log: () => undefined };
}

const note = 'Patient admitted with chest pain and shortness of breath. No fever. Started on aspirin.';

test('ner.tag and classify run through head folders beside an encoder that has no head of its own', async () => {
  const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const, windowTokens: 16, windowStride: 4 };
  const model = await loadModel(dir, settings);
  try {
    assert.deepEqual(model.info.taskHeads?.map((h) => [h.name, h.task]), [['entities', 'token'], ['note-type', 'sequence']]);
    const handlers = createTaskHandlers(hostFor(model, settings));
    const tagged = await handlers['ner.tag']({ text: note, allowDemo: true, merge: 'modelOnly' }, directContext());
    assert.equal(tagged.model, 'used');
    assert.equal(tagged.notice, undefined);
    assert.ok(tagged.blocksRun > 0);
    // a random head with std 1 tags something; every span is a problem (types are lower-cased) inside the note
    assert.ok(tagged.spans.length > 0);
    for (const s of tagged.spans) {
      assert.equal(s.type, 'problem');
      assert.ok(s.start >= 0 && s.end <= note.length && s.start < s.end);
      assert.equal(s.source, 'model');
    }
    const classified = await handlers.classify({ text: note }, directContext());
    assert.deepEqual(Object.keys(classified.scores), ['discharge_summary', 'radiology']);
    assert.ok(Math.abs(Object.values(classified.scores).reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.ok(classified.windows > 1);
  } finally {
    await model.dispose();
  }
});

test('a misnamed tokenHead setting turns model entities off with a notice; classify refuses an unknown head', async () => {
  const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const, tokenHead: 'entitys' };
  const model = await loadModel(dir, settings);
  try {
    const handlers = createTaskHandlers(hostFor(model, settings));
    const tagged = await handlers['ner.tag']({ text: note, allowDemo: true }, directContext());
    assert.equal(tagged.model, 'no-token-head');
    assert.match(tagged.notice ?? '', /no token-classification head named "entitys" \(it has entities\)/);
    await assert.rejects(handlers.classify({ text: note, head: 'entities' }, directContext()), /classifies tokens, not whole notes/);
  } finally {
    await model.dispose();
  }
});

test('through the engine: the sequenceHead setting given to model.load picks the head classify uses', async () => {
  const two = join(mkdtempSync(join(tmpdir(), 'cmb-task-heads-')), 'encoder');
  makeTestModelFolder({ arch: 'bert', out: two });
  makeTestHead({ encoderDir: two, name: 'kind-a', task: 'sequence', labels: ['a1', 'a2'] });
  makeTestHead({ encoderDir: two, name: 'kind-b', task: 'sequence', labels: ['b1', 'b2', 'b3'] });
  const engine = new Engine({ storageDir: tmpdir(), log: () => undefined }, domainHandlers);
  try {
    const base = { ...defaultEngineSettings, executionProvider: 'cpu' as const };
    const info = await engine.call('model.load', { path: two, settings: base }, directContext());
    assert.deepEqual(info.taskHeads?.map((h) => h.name), ['kind-a', 'kind-b']);
    await assert.rejects(engine.call('classify', { text: note }, directContext()), /several sequence-classification heads \(kind-a, kind-b\)/);
    await engine.call('model.load', { path: two, settings: { ...base, sequenceHead: 'kind-b' } }, directContext());
    assert.deepEqual(Object.keys((await engine.call('classify', { text: note }, directContext())).scores), ['b1', 'b2', 'b3']);
    assert.deepEqual(Object.keys((await engine.call('classify', { text: note, head: 'kind-a' }, directContext())).scores), ['a1', 'a2']);
  } finally {
    await engine.dispose();
  }
});

test('a random-weight head folder turns model entities off like a demo model, even on a trained encoder', async () => {
  const trained = join(mkdtempSync(join(tmpdir(), 'cmb-task-heads-')), 'encoder');
  makeTestModelFolder({ arch: 'bert', out: trained });
  const cfgPath = join(trained, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
  delete cfg['cmb_test_model'];
  writeFileSync(cfgPath, JSON.stringify(cfg));
  makeTestHead({ encoderDir: trained, name: 'random', task: 'token' });
  const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };
  const model = await loadModel(trained, settings);
  try {
    assert.equal(model.info.demo, false);
    assert.equal(model.heads?.[0]?.demo, true);
    const handlers = createTaskHandlers(hostFor(model, settings));
    const r = await handlers['ner.tag']({ text: note }, directContext());
    assert.equal(r.model, 'demo');
    assert.match(r.notice ?? '', /token head "random" has random weights/);
    assert.equal((await handlers['ner.tag']({ text: note, allowDemo: true }, directContext())).model, 'used');
  } finally {
    await model.dispose();
  }
});

test('a head the user trained runs on a demo encoder, with a notice saying what it stands on; the demo model alone stays off', async () => {
  const demo = join(mkdtempSync(join(tmpdir(), 'cmb-task-heads-')), 'encoder');
  makeTestModelFolder({ arch: 'bert', out: demo }); // cmb_test_model: a demo encoder
  makeTestHead({ encoderDir: demo, name: 'mine', task: 'token' });
  const headCfg = join(demo, 'heads', 'mine', 'config.json');
  const cfg = JSON.parse(readFileSync(headCfg, 'utf8')) as Record<string, unknown>;
  delete cfg['cmb_test_model']; // as `cmb train` writes it
  writeFileSync(headCfg, JSON.stringify(cfg));
  const settings = { ...defaultEngineSettings, executionProvider: 'cpu' as const };
  const model = await loadModel(demo, settings);
  try {
    assert.equal(model.info.demo, true);
    const handlers = createTaskHandlers(hostFor(model, settings));
    const r = await handlers['ner.tag']({ text: note, head: 'mine' }, directContext());
    assert.equal(r.model, 'used');
    assert.match(r.notice ?? '', /token head "mine" runs on a demo \(random-weight\) encoder/);
  } finally {
    await model.dispose();
  }
  // the same encoder with only a random-weight head: model entities off
  const onlyRandom = join(mkdtempSync(join(tmpdir(), 'cmb-task-heads-')), 'encoder');
  makeTestModelFolder({ arch: 'bert', out: onlyRandom });
  makeTestHead({ encoderDir: onlyRandom, name: 'random', task: 'token' });
  const m2 = await loadModel(onlyRandom, settings);
  try {
    const r = await createTaskHandlers(hostFor(m2, settings))['ner.tag']({ text: note }, directContext());
    assert.equal(r.model, 'demo');
  } finally {
    await m2.dispose();
  }
});
