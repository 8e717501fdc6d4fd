import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTaskHandlers } from '../../../src/engine/tasks/handlers';
import { blockSizeFor, splitBlocks } from '../../../src/engine/tasks/entityTagger';
import type { RequestContext } from '../../../src/engine/handlers';
import { EngineError } from '../../../src/engine/errors';
import { FakeModel, fakeHost, type PieceContext } from './fakeModel';

const ctx = (): RequestContext => ({ signal: new AbortController().signal, progress: () => {}, log: () => {}, transfer: () => {} });

const TABLE: Record<string, string> = { pneumonia: 'B-PROBLEM', fever: 'B-PROBLEM', troponin: 'B-TEST', heparin: 'B-TREATMENT', chest: 'B-PROBLEM', pain: 'I-PROBLEM' };
const tag = (p: PieceContext) => (p.first ? TABLE[p.word.toLowerCase()] ?? 'O' : 'O');

function withLexicon(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-lex-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('ner.tag: model spans with assertion status, lexicon filling gaps', async () => {
  const h = createTaskHandlers(fakeHost(new FakeModel({ tag })));
  await withLexicon({ 'problem.txt': 'chest pain\ndiabetes\n', 'drug.txt': 'aspirin\n' }, async (dir) => {
    const info = await h['lexicon.load']({ folder: dir }, ctx());
    assert.deepEqual(info.types, ['drug', 'problem']);
    const text = 'Denies chest pain. Possible pneumonia. History of diabetes. Takes aspirin.';
    const r = await h['ner.tag']({ text, version: 7 }, ctx());
    assert.equal(r.version, 7);
    assert.equal(r.model, 'used');
    assert.equal(r.notice, undefined);
    const view = r.spans.map((s) => [text.slice(s.start, s.end), s.type, s.source, s.negated, s.uncertain, s.historical]);
    assert.deepEqual(view, [
      ['chest pain', 'problem', 'model', true, false, false],
      ['pneumonia', 'problem', 'model', false, true, false],
      ['diabetes', 'problem', 'lexicon', false, false, true],
      ['aspirin', 'drug', 'lexicon', false, false, false],
    ]);
    assert.equal(r.spans[3]!.score, 1);
    assert.equal(r.spans[0]!.experiencer, 'patient');
  });
});

test('ner.tag works with no model loaded: lexicon and assertion only, and says so', async () => {
  const h = createTaskHandlers(fakeHost());
  const r0 = await h['ner.tag']({ text: 'No fever.' }, ctx());
  assert.equal(r0.model, 'none');
  assert.deepEqual(r0.spans, []);
  assert.match(r0.notice!, /No model is loaded.*No lexicon/);
  await withLexicon({ 'problem.txt': 'fever\n' }, async (dir) => {
    await h['lexicon.load']({ folder: dir }, ctx());
    const r = await h['ner.tag']({ text: 'No fever.' }, ctx());
    assert.equal(r.spans.length, 1);
    assert.equal(r.spans[0]!.negated, true);
    assert.equal(r.spans[0]!.source, 'lexicon');
    assert.match(r.notice!, /lexicons only/);
  });
});

test('a demo model and a model without a token head switch model NER off with a notice', async () => {
  const demo = await createTaskHandlers(fakeHost(new FakeModel({ tag, demo: true })))['ner.tag']({ text: 'fever' }, ctx());
  assert.equal(demo.model, 'demo');
  assert.deepEqual(demo.spans, []);
  assert.match(demo.notice!, /demo or random-weight/);
  const seq = await createTaskHandlers(fakeHost(new FakeModel({ head: 'sequence' })))['ner.tag']({ text: 'fever' }, ctx());
  assert.equal(seq.model, 'no-token-head');
  assert.match(seq.notice!, /token-classification head/);
});

test('blocks are the text between blank lines', () => {
  const text = 'HPI: fever.\n\n\nPlan: heparin.\n  \nDispo: home';
  assert.deepEqual(splitBlocks(text).map((b) => [b.start, b.text]), [
    [0, 'HPI: fever.'],
    [14, 'Plan: heparin.'],
    [32, 'Dispo: home'],
  ]);
});

test('incremental: after an edit only the changed block runs again, and moved blocks keep their spans', async () => {
  const model = new FakeModel({ tag, windowTokens: 16, stride: 4 });
  const h = createTaskHandlers(fakeHost(model));
  const blocks = ['Fever since Monday.', 'Troponin pending.', 'Started heparin.', 'Pneumonia on imaging.'];
  const text1 = blocks.join('\n\n');
  const r1 = await h['ner.tag']({ text: text1, document: 'note-1', version: 1 }, ctx());
  assert.equal(r1.blocksRun, 4);
  const before = model.windowsRun;
  // insert a word in the second block: later blocks move, only one block changes
  const text2 = [blocks[0], 'Troponin still pending.', blocks[2], blocks[3]].join('\n\n');
  const r2 = await h['ner.tag']({ text: text2, document: 'note-1', version: 2 }, ctx());
  assert.equal(r2.blocksRun, 1);
  assert.equal(r2.blocksReused, 3);
  assert.equal(model.windowsRun - before, 1);
  assert.deepEqual(r2.spans.map((s) => text2.slice(s.start, s.end)), ['Fever', 'Troponin', 'heparin', 'Pneumonia']);
  // a one-off request (no document) never reuses
  const r3 = await h['ner.tag']({ text: text2 }, ctx());
  assert.equal(r3.blocksReused, 0);
});

test('a range runs the model on the visible blocks first and reports an incomplete result', async () => {
  const model = new FakeModel({ tag });
  const h = createTaskHandlers(fakeHost(model));
  const text = 'Fever noted.\n\nHeparin started.\n\nPneumonia seen.';
  const r1 = await h['ner.tag']({ text, document: 'd', range: { start: 15, end: 20 } }, ctx());
  assert.equal(r1.complete, false);
  assert.deepEqual(r1.spans.map((s) => text.slice(s.start, s.end)), ['Heparin']);
  const r2 = await h['ner.tag']({ text, document: 'd' }, ctx());
  assert.equal(r2.complete, true);
  assert.equal(r2.blocksRun, 2);
  assert.equal(r2.spans.length, 3);
});

test('a cancelled request fails as cancelled', async () => {
  const h = createTaskHandlers(fakeHost(new FakeModel({ tag })));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(h['ner.tag']({ text: 'fever' }, { ...ctx(), signal: ac.signal }), (e: unknown) => e instanceof EngineError && e.code === 'cancelled');
});

test('ner.assert and classify through the handlers; bad input is refused', async () => {
  const h = createTaskHandlers(fakeHost(new FakeModel({ head: 'sequence', classify: () => [0, 2, 0] })));
  const [a] = await h['ner.assert']({ text: 'No fever.', spans: [{ start: 3, end: 8 }] }, ctx());
  assert.equal(a!.negated, true);
  const c = await h.classify({ text: 'CT chest: no PE.' }, ctx());
  assert.equal(c.label, 'radiology');
  await assert.rejects(h['ner.assert']({ text: 'x', spans: 'no' as never }, ctx()), EngineError);
  await assert.rejects(h['ner.tag']({ text: 5 as never }, ctx()), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
  await assert.rejects(createTaskHandlers(fakeHost()).classify({ text: 'x' }, ctx()), (e: unknown) => e instanceof EngineError && e.code === 'not-loaded');
});

test('a long single-spaced note is cut into blocks at content-chosen line ends, so an edit reruns only nearby blocks', async () => {
  const lines = Array.from({ length: 120 }, (_, i) => `Line ${i}: fever ${i % 7} days, troponin pending, heparin drip at ${i} units.`);
  const text1 = lines.join('\n');
  const model = new FakeModel({ tag });
  // blocks are sized to the model's window, so an edit re-runs about one window
  const size = blockSizeFor(model.info.windowTokens);
  const blocks1 = splitBlocks(text1, size);
  assert.ok(blocks1.length >= 6, `${blocks1.length} blocks`);
  // a block ends at the first unit end at or past the maximum
  const longestLine = Math.max(...lines.map((l) => l.length + 1));
  assert.ok(blocks1.every((b) => b.text.length < size.maxChars + longestLine));
  assert.equal(blocks1.map((b) => b.text).join(''), text1.slice(blocks1[0]!.start), 'blocks tile the note');
  const h = createTaskHandlers(fakeHost(model));
  await h['ner.tag']({ text: text1, document: 'long' }, ctx());
  // an edit in the middle of the note
  const edited = [...lines];
  edited[60] = edited[60]!.replace('fever', 'high fever');
  const r = await h['ner.tag']({ text: edited.join('\n'), document: 'long' }, ctx());
  assert.ok(r.blocksRun <= 2, `${r.blocksRun} blocks ran again`);
  assert.ok(r.blocksReused >= blocks1.length - 2);
});

test('ner.tag with a lexicon on dictation without sentence ends: every term found and asserted by its own cues', async () => {
  const h = createTaskHandlers(fakeHost(new FakeModel({ tag })));
  await withLexicon({ 'problem.txt': 'chest pain\nrash\nasthma\n' }, async (dir) => {
    await h['lexicon.load']({ folder: dir }, ctx());
    const unit = 'patient denies chest pain but has rash and her mother has asthma however ';
    const text = unit.repeat(2000);
    const r = await h['ner.tag']({ text, useModel: false }, ctx());
    assert.equal(r.spans.length, 6000);
    const flags = (i: number) => {
      const s = r.spans[i]!;
      return `${text.slice(s.start, s.end)}:${s.negated ? 'negated' : ''}${s.experiencer === 'other' ? 'other' : ''}`;
    };
    for (const k of [0, 1000, 1999]) assert.deepEqual([flags(3 * k), flags(3 * k + 1), flags(3 * k + 2)], ['chest pain:negated', 'rash:', 'asthma:other']);
  });
});

test('ner.assert refuses a span cut inside a word', async () => {
  const h = createTaskHandlers(fakeHost(new FakeModel({ tag })));
  await assert.rejects(h['ner.assert']({ text: 'No fever.', spans: [{ start: 4, end: 8 }] }, ctx()), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
});

test('issue 14: lexicon.load with no folder loads the built-in clinical lexicon when asked, and unloads otherwise; a folder replaces it', async () => {
  const h = createTaskHandlers(fakeHost(undefined));
  const text = 'Denies chest pain. HTN on lisinopril.';
  const builtIn = await h['lexicon.load']({ folder: '', builtIn: true }, ctx());
  assert.equal(builtIn.builtIn, true);
  assert.deepEqual(builtIn.types, ['problem', 'drug', 'test', 'procedure', 'anatomy']);
  assert.ok(builtIn.terms > 20_000);
  const r = await h['ner.tag']({ text, useModel: false }, ctx());
  assert.deepEqual(r.spans.map((s) => [text.slice(s.start, s.end), s.type, s.negated]), [
    ['chest pain', 'problem', true],
    ['HTN', 'problem', false],
    ['lisinopril', 'drug', false],
  ]);
  await withLexicon({ 'finding.txt': 'chest pain\n' }, async (dir) => {
    const own = await h['lexicon.load']({ folder: dir, builtIn: true }, ctx());
    assert.equal(own.builtIn, false);
    const mine = await h['ner.tag']({ text, useModel: false }, ctx());
    assert.deepEqual(mine.spans.map((s) => s.type), ['finding']);
  });
  const off = await h['lexicon.load']({ folder: '' }, ctx());
  assert.equal(off.builtIn, false);
  assert.deepEqual((await h['ner.tag']({ text, useModel: false }, ctx())).spans, []);
});
