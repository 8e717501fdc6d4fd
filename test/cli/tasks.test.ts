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
  assert.equal(await runNer(['--no-default-lexicon'], a), 2);
  assert.match(a.stderr[0]!, /--model DIR/);
  const e = io([]);
  assert.equal(await runNer(['--lexicon', 'x', '--no-default-lexicon'], e), 2);
  assert.match(e.stderr[0]!, /already replaces the built-in lexicon/);
  const f = io([]);
  assert.equal(await runNer(['--no-default-lexicon', 'yes'], f), 2, 'the switch takes no value');
  const b = io(['{"txt": "x"}'], new FakeModel({ tag }));
  assert.equal(await runNer(['--model', 'm'], b), 2);
  assert.match(b.stderr.at(-1)!, /input line 1: "text" must be a string/);
  const c = io([]);
  assert.equal(await runNer(['--model', 'missing'], c), 1);
  const d = io([]);
  assert.equal(await runNer(['--lexicon', 'x', '--merge', 'bogus'], d), 2);
});

test('issue 14: cmb ner without a model or --lexicon tags with the built-in clinical lexicon; --lexicon DIR replaces it', async () => {
  const line = JSON.stringify({ text: 'PMH: HTN, DM2. Denies chest pain. On metformin; CBC and CT head ordered. s/p CABG.' });
  const x = io([line]);
  assert.equal(await runNer([], x), 0, x.stderr.join('\n'));
  const text = (JSON.parse(line) as { text: string }).text;
  const spans = JSON.parse(x.stdout[0]!) as Array<{ start: number; end: number; type: string; negated: boolean; source: string }>;
  assert.deepEqual(spans.map((s) => [text.slice(s.start, s.end), s.type]), [
    ['HTN', 'problem'], ['DM2', 'problem'], ['chest pain', 'problem'], ['metformin', 'drug'], ['CBC', 'test'], ['CT head', 'test'], ['CABG', 'procedure'],
  ]);
  assert.ok(spans.find((s) => text.slice(s.start, s.end) === 'chest pain')!.negated);
  assert.ok(spans.every((s) => s.source === 'lexicon'));
  const dir = mkdtempSync(join(tmpdir(), 'cmb-lex-'));
  try {
    writeFileSync(join(dir, 'symptom.txt'), 'chest pain\n');
    const y = io([line]);
    assert.equal(await runNer(['--lexicon', dir], y), 0);
    assert.deepEqual((JSON.parse(y.stdout[0]!) as Array<{ type: string }>).map((s) => s.type), ['symptom'], 'a user lexicon replaces the built-in one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  assert.equal(await runNer(['--model', 'm', '--no-default-lexicon'], a), 0);
  assert.deepEqual(JSON.parse(a.stdout[0]!), []);
  assert.match(a.stderr[0]!, /demo or random-weight/);
  const b = io([line], demo());
  assert.equal(await runNer(['--model', 'm', '--allow-demo', '--no-default-lexicon'], b), 0);
  assert.equal((JSON.parse(b.stdout[0]!) as unknown[]).length, 1);
});

test('issue 13: cmb assert --help (and ner, classify) prints the usage and exits 0', async () => {
  for (const [run, args, what] of [
    [runAssert, ['--help'], /usage: cmb assert .*--keep-going/],
    [runAssert, ['--assertion-window', '4', '-h'], /usage: cmb assert/],
    [runNer, ['--help'], /usage: cmb ner/],
    [runClassify, ['--help'], /usage: cmb classify/],
  ] as const) {
    const x = io([]);
    assert.equal(await run([...args], x), 0);
    assert.match(x.stdout.join('\n'), what);
    assert.deepEqual(x.stderr, []);
  }
});

test('issue 13: cmb assert --keep-going answers a bad line with {"error"} on its output line and exits 2 at the end', async () => {
  const good = JSON.stringify({ text: 'No fever.', start: 3, end: 8 });
  const lines = [
    good,
    'not json',
    JSON.stringify({ text: 'Patient Jane has asthma.', start: 17, end: 20 }), // ends inside "asthma"
    '',
    JSON.stringify({ text: 'abc', start: 1, end: 9 }),
    good,
  ];
  const x = io(lines);
  assert.equal(await runAssert(['--keep-going'], x), 2);
  const out = x.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(out.length, 5, 'one output line per non-blank input line');
  assert.equal(out[0]!['negated'], true);
  assert.match(String(out[1]!['error']), /^input line 2: not valid JSON/);
  assert.match(String(out[2]!['error']), /^input line 3: .*ends inside a word/);
  assert.ok(!String(out[2]!['error']).includes('Jane'), 'no note text in errors');
  assert.match(String(out[3]!['error']), /^input line 5: span \[1, 9\)/);
  assert.equal(out[4]!['negated'], true);
  assert.equal(x.stderr.length, 1);
  assert.match(x.stderr[0]!, /3 of 5 input lines failed/);
  // without --keep-going the first bad line stops the run, and says which line it was
  const y = io(lines);
  assert.equal(await runAssert([], y), 2);
  assert.equal(y.stdout.length, 1);
  assert.match(y.stderr[0]!, /input line 2: not valid JSON/);
  const z = io([lines[2]!]);
  assert.equal(await runAssert([], z), 2);
  assert.match(z.stderr[0]!, /input line 1: .*ends inside a word/);
  // all good with --keep-going: exit 0
  const w = io([good, good]);
  assert.equal(await runAssert(['--keep-going'], w), 0);
  assert.equal(w.stdout.length, 2);
});

test('cmb ner and classify take --keep-going too', async () => {
  const x = io(['{"txt": 1}', JSON.stringify({ text: 'Possible pneumonia.' })], new FakeModel({ tag }));
  assert.equal(await runNer(['--model', 'm', '--allow-demo', '--keep-going'], x), 2);
  assert.match(String((JSON.parse(x.stdout[0]!) as { error: string }).error), /input line 1: "text" must be a string/);
  assert.equal((JSON.parse(x.stdout[1]!) as unknown[]).length, 1);
  const y = io([JSON.stringify({ text: ' ' }), JSON.stringify({ text: 'CT chest.' })], new FakeModel({ head: 'sequence', classify: () => [0, 3, 0] }));
  assert.equal(await runClassify(['--model', 'm', '--keep-going'], y), 2);
  assert.match(y.stdout[0]!, /"error":"input line 1: \\"text\\" is empty/);
  assert.equal((JSON.parse(y.stdout[1]!) as { label: string }).label, 'radiology');
});
