import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAssert, runClassify, runNer, type TaskCliIO } from '../../src/cli/tasks';
import type { LoadedModel } from '../../src/engine/host';
import { FakeModel, type PieceContext } from '../engine/tasks/fakeModel';

function io(input: string[], model?: LoadedModel): TaskCliIO & { stdout: string[]; stderr: string[]; loaded: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const loaded: string[] = [];
  return {
    stdout, stderr, loaded,
    stdin: Readable.from([Buffer.from(input.join('\n') + '\n')]),
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    loadModel: async (dir, _args) => {
      loaded.push(dir);
      if (!model) throw new Error(`no model in ${dir}`);
      return model;
    },
  };
}

const tag = (p: PieceContext) => (p.first && p.word === 'pneumonia' ? 'B-PROBLEM' : 'O');

test('cmb assert: one JSON line per entity line', async () => {
  const x = io([JSON.stringify({ text: 'No fever.', start: 3, end: 8 }), '', JSON.stringify({ text: 'Mother had breast cancer.', start: 11, end: 24 })]);
  assert.equal(await runAssert([], x), 0);
  assert.deepEqual(x.stdout.map((l) => JSON.parse(l)), [
    { negated: true, uncertain: false, historical: false, hypothetical: false, experiencer: 'patient' },
    { negated: false, uncertain: false, historical: false, hypothetical: false, experiencer: 'other' },
  ]);
});

test('cmb assert: bad input exits 2 with one line naming the input line', async () => {
  for (const [bad, why] of [
    ['{"text": "x", "start": 0}', /line 2: "start" and "end"/],
    ['not json', /line 2: not valid JSON/],
    ['{"text": "abc", "start": 1, "end": 9}', /line 2: span \[1, 9\)/],
    ['[1,2]', /line 2: not a JSON object/],
  ] as const) {
    const x = io([JSON.stringify({ text: 'No fever.', start: 3, end: 8 }), bad]);
    assert.equal(await runAssert([], x), 2);
    assert.equal(x.stderr.length, 1);
    assert.match(x.stderr[0]!, why);
    assert.equal(x.stdout.length, 1);
  }
  const y = io([]);
  assert.equal(await runAssert(['--assertion-window', 'many'], y), 2);
  assert.match(y.stderr[0]!, /--assertion-window/);
  const z = io([]);
  assert.equal(await runAssert(['--window', '4'], z), 2, 'engine options are refused where no model is loaded');
});

test('cmb ner: spans from the model (loaded through the hook) and the lexicon', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-lex-'));
  try {
    writeFileSync(join(dir, 'treatment.txt'), 'ceftriaxone\n');
    const x = io([JSON.stringify({ text: 'Possible pneumonia. Started ceftriaxone.' })], new FakeModel({ tag }));
    assert.equal(await runNer(['--model', '/models/ner', '--lexicon', dir, '--provider', 'cpu', '--window', '128'], x), 0);
    assert.deepEqual(x.loaded, ['/models/ner']);
    const spans = JSON.parse(x.stdout[0]!) as Array<Record<string, unknown>>;
    assert.deepEqual(spans.map((s) => [s['type'], s['source'], s['uncertain']]), [
      ['problem', 'model', true],
      ['treatment', 'lexicon', false],
    ]);
    assert.deepEqual(Object.keys(spans[0]!), ['start', 'end', 'type', 'score', 'negated', 'uncertain', 'historical', 'hypothetical', 'experiencer', 'source']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cmb ner: usage errors and bad lines exit 2; a model that fails to load exits 1', async () => {
  const a = io([]);
  assert.equal(await runNer([], a), 2);
  assert.match(a.stderr[0]!, /--model DIR/);
  const b = io(['{"txt": "x"}'], new FakeModel({ tag }));
  assert.equal(await runNer(['--model', 'm'], b), 2);
  assert.match(b.stderr.at(-1)!, /input line 1: "text" must be a string/);
  const c = io([]);
  assert.equal(await runNer(['--model', 'missing'], c), 1);
  const d = io([]);
  assert.equal(await runNer(['--lexicon', 'x', '--merge', 'bogus'], d), 2);
});

test('cmb classify: label and scores per line; a model without a classification head exits 1 and says how to get one', async () => {
  const x = io([JSON.stringify({ text: 'CT chest without contrast.' })], new FakeModel({ head: 'sequence', classify: () => [0, 3, 0] }));
  assert.equal(await runClassify(['--model', 'm'], x), 0);
  const r = JSON.parse(x.stdout[0]!) as { label: string; scores: Record<string, number> };
  assert.equal(r.label, 'radiology');
  assert.deepEqual(Object.keys(r.scores), ['discharge_summary', 'radiology', 'progress_note']);
  const y = io([JSON.stringify({ text: 'x' })], new FakeModel({ tag }));
  assert.equal(await runClassify(['--model', 'm'], y), 1);
  assert.match(y.stderr[0]!, /no sequence-classification head/);
  const z = io([]);
  assert.equal(await runClassify([], z), 2);
});

test('stdin lines: CRLF endings, a byte-order mark and a last line without newline are read', async () => {
  const x = io([]);
  x.stdin = Readable.from([Buffer.from('\ufeff{"text": "No fever.", "start": 3, "end": 8}\r\n{"text": "No rash", "start": 3, "end": 7}')]);
  assert.equal(await runAssert([], x), 0);
  assert.equal(x.stdout.length, 2);
});

test('cmb ner: a demo model tags nothing from the model and says so, unless --allow-demo', async () => {
  const demo = () => new FakeModel({ tag, demo: true });
  const line = JSON.stringify({ text: 'Possible pneumonia.' });
  const a = io([line], demo());
  assert.equal(await runNer(['--model', 'm'], a), 0);
  assert.deepEqual(JSON.parse(a.stdout[0]!), []);
  assert.match(a.stderr[0]!, /demo or random-weight/);
  const b = io([line], demo());
  assert.equal(await runNer(['--model', 'm', '--allow-demo'], b), 0);
  assert.equal((JSON.parse(b.stdout[0]!) as unknown[]).length, 1);
});
