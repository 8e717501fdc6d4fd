/**
 * `cmb icd-embed` and `cmb icd-suggest` as users run them: the bundled CLI,
 * the official file layout of the fixture release, the tiny test model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { RELEASE, tempDir } from '../engine/icd/fixtures';

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

function cmb(args: string[], stdin: string, storage: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { input: stdin, encoding: 'utf8', env: { ...process.env, CMB_STORAGE_DIR: storage } });
  return { code: r.status, out: r.stdout.trim().split('\n').filter(Boolean), err: r.stderr.trim() };
}

test('icd-suggest without a model: codes from the words, best first, and one line on stderr saying so', () => {
  const storage = tempDir('cli-suggest');
  const input = [{ text: 'Type 2 diabetes mellitus without complications' }, { text: 'laparoscopic appendectomy' }, { text: '' }].map((x) => JSON.stringify(x)).join('\n');
  const r = cmb(['icd-suggest', '--codesets', RELEASE, '--k', '3'], input, storage);
  assert.equal(r.code, 0, r.err);
  const [dm, appy, empty] = r.out.map((l) => JSON.parse(l));
  assert.deepEqual(dm.codes[0], {
    code: 'E11.9',
    system: 'ICD-10-CM',
    description: 'Type 2 diabetes mellitus without complications',
    billable: true,
    chapter: 'Chapter 4 Endocrine, nutritional and metabolic diseases',
    score: Number((1 / 61).toPrecision(6)),
    rankers: ['words'],
  });
  assert.equal(dm.codes.length, 3);
  assert.equal(dm.wordsOnly, true);
  assert.equal(appy.codes[0].code, '47.01');
  assert.deepEqual(empty.codes, []);
  assert.match(r.err, /No model is loaded, so codes are suggested from words only/);
  assert.equal(r.err.split('\n').filter((l) => /words only/.test(l)).length, 1);
  assert.ok(r.out.every((l) => !('text' in JSON.parse(l))), 'the input text is not echoed');
});

test('icd-embed embeds once (the next run keeps everything); icd-suggest with the demo model still says words only', () => {
  const storage = tempDir('cli-embed');
  const model = path.join(storage, 'model');
  makeTestModelFolder({ arch: 'bert', out: model });
  const first = cmb(['icd-embed', '--model', model, '--codesets', RELEASE, '--systems', 'icd10cm,icd10pcs', '--provider', 'cpu'], '', storage);
  assert.equal(first.code, 0, first.err);
  assert.deepEqual(JSON.parse(first.out[0]!), { ...JSON.parse(first.out[0]!), embedded: 38, kept: 0, removed: 0 });
  assert.match(first.err, /demo \(random-weight\) model/);
  assert.match(first.err, /38 codes to embed with/);
  const second = cmb(['icd-embed', '--model', model, '--codesets', RELEASE, '--systems', 'icd10cm,icd10pcs', '--billable-only'], '', storage);
  assert.equal(second.code, 0, second.err);
  assert.deepEqual([JSON.parse(second.out[0]!).embedded, JSON.parse(second.out[0]!).kept], [0, 19]);
  const s = cmb(['icd-suggest', '--model', model, '--codesets', RELEASE, '--systems', 'icd10cm'], JSON.stringify({ text: 'asthma' }), storage);
  assert.equal(s.code, 0, s.err);
  assert.equal(JSON.parse(s.out[0]!).codes[0].code, 'J45.909');
  assert.match(s.err, /demo \(random-weight\) model, so codes are suggested from words only/);
});

test('bad arguments and input: one line, exit code 2', () => {
  const storage = tempDir('cli-bad');
  // the first use of --codesets builds the code-set store and says so: not part of these answers
  assert.equal(cmb(['icd-suggest', '--codesets', RELEASE], '', storage).code, 0);
  const cases: Array<[string[], string, RegExp]> = [
    [['icd-suggest', '--codesets', RELEASE, '--nope', 'x'], '', /unknown option --nope/],
    [['icd-suggest', '--codesets', RELEASE, '--k', '0'], '', /--k must be a whole number from 1 to 100/],
    [['icd-suggest', '--codesets', RELEASE, '--systems', 'icd11'], '', /--systems takes a comma-separated list/],
    [['icd-suggest', '--codesets', RELEASE], '{"text": 3}', /line 1: "text" must be a string/],
    [['icd-suggest', '--codesets', RELEASE], 'not json', /line 1: not valid JSON/],
    [['icd-suggest', '--codesets', RELEASE, 'extra'], '', /unexpected argument "extra"/],
    [['icd-embed', '--codesets', RELEASE], '', /--model DIR \(a model folder\) is required/],
    [['icd-suggest', '--codesets', RELEASE, '--template', 'none'], '{"text": "asthma"}', /must contain \{description\} or \{code\}/],
  ];
  for (const [args, stdin, message] of cases) {
    const r = cmb(args, stdin, storage);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.split('\n').length, 1, r.err);
  }
});
