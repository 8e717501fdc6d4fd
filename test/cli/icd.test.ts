import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { runIcd as runIcdIn, runIcdDetect as runIcdDetectIn } from '../../src/cli/icd';
import type { CliIo } from '../../src/cli/io';
import { RELEASE, tempDir } from '../engine/icd/fixtures';

type TestIo = CliIo & { lines: string[]; errors: string[]; storageDir: string };

function io(stdin = '', storageDir = tempDir('cli')): TestIo {
  const lines: string[] = [];
  const errors: string[] = [];
  return { stdin: Readable.from([stdin]), out: (l) => lines.push(l), err: (l) => errors.push(l), lines, errors, storageDir };
}
const runIcd = (args: string[], t: TestIo) => runIcdIn(args, t, { storageDir: t.storageDir });
const runIcdDetect = (args: string[], t: TestIo) => runIcdDetectIn(args, t, { storageDir: t.storageDir });
const lines = (out: string[]) => out.map((l) => JSON.parse(l) as Record<string, unknown>);

test('cmb icd prints one JSON line per reading; unknown codes are reported, exit 0', async () => {
  const t = io();
  assert.equal(await runIcd(['E11.9', '4019', 'Q99.99', 'hello', '--codesets', RELEASE], t), 0);
  const [e119, dx, sg, unknown, notCode] = lines(t.lines);
  assert.deepEqual(e119, {
    query: 'E11.9',
    code: 'E11.9',
    system: 'ICD-10-CM',
    known: true,
    description: 'Type 2 diabetes mellitus without complications',
    billable: true,
    parents: [
      { code: 'E11', description: 'Type 2 diabetes mellitus' },
      { code: 'E08-E13', description: 'Diabetes mellitus' },
      { code: 'Chapter 4 (E00-E89)', description: 'Endocrine, nutritional and metabolic diseases' },
    ],
    mappings: [
      {
        code: '250.00',
        system: 'ICD-9-CM diagnosis',
        description: 'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
        approximate: true,
        combination: false,
      },
    ],
  });
  assert.equal(dx!.code, '401.9');
  assert.equal(sg!.code, '40.19');
  assert.equal(unknown!.known, false);
  assert.equal(unknown!.system, 'ICD-10-CM');
  assert.equal(unknown!.message, 'not in the installed code sets');
  assert.equal(notCode!.message, 'not shaped like an ICD code');
  assert.match(t.errors.join(''), /Building the code-set store/);
});

test('cmb icd: a dotted code matches only codes with the dot in that place; an undotted one every system, listed by system', async () => {
  const t = io();
  assert.equal(await runIcd(['00.10', '001.0', '40.19', '4019', '--codesets', RELEASE], t), 0);
  const out = lines(t.lines).map((l) => `${l.query} -> ${l.system} ${l.code} ${l.known ? l.description : 'unknown'}`);
  assert.deepEqual(out, [
    // 00.10 is an ICD-9-CM procedure; the fixture lacks it. It is not 001.0 (cholera).
    '00.10 -> ICD-9-CM procedure 00.10 unknown',
    '001.0 -> ICD-9-CM diagnosis 001.0 Cholera due to vibrio cholerae',
    '40.19 -> ICD-9-CM procedure 40.19 Other diagnostic procedures on lymphatic structures',
    '4019 -> ICD-9-CM diagnosis 401.9 Unspecified essential hypertension',
    '4019 -> ICD-9-CM procedure 40.19 Other diagnostic procedures on lymphatic structures',
  ]);
});

test('the --codesets store is cached: the second run does not rebuild', async () => {
  const storage = tempDir('cli');
  const first = io('', storage);
  await runIcd(['I10', '--codesets', RELEASE], first);
  const second = io('', storage);
  assert.equal(await runIcd(['I10', '--codesets', RELEASE], second), 0);
  assert.equal(second.errors.join(''), '');
  assert.equal(lines(second.lines)[0]!.description, 'Essential (primary) hypertension');
});

test('without code sets, icd still names system and chapter, and says what is missing', async () => {
  const t = io();
  assert.equal(await runIcd(['E11.9'], t), 0);
  const [r] = lines(t.lines);
  assert.equal(r!.known, false);
  assert.deepEqual(r!.parents, [{ code: 'Chapter 4 (E00-E89)', description: 'Endocrine, nutritional and metabolic diseases' }]);
  assert.match(t.errors.join(''), /No ICD code sets installed/);
});

test('cmb icd-detect: JSON lines in, one list per line out, UTF-16 offsets', async () => {
  const input = [JSON.stringify({ text: 'Pt 👩 with DM2 (E11.9), BP 120/80' }), '', JSON.stringify({ text: 'glucose 250.00 mg' }), JSON.stringify({ text: 'dx 4019' })].join('\n');
  const t = io(input);
  assert.equal(await runIcdDetect(['--codesets', RELEASE], t), 0);
  const out = t.lines.map((l) => JSON.parse(l) as unknown[]);
  assert.equal(out.length, 3);
  assert.deepEqual(out[0], [{ start: 16, end: 21, code: 'E11.9', system: 'ICD-10-CM', description: 'Type 2 diabetes mellitus without complications' }]);
  assert.deepEqual(out[1], []);
  assert.deepEqual(out[2], [
    { start: 3, end: 7, code: '401.9', system: 'ICD-9-CM diagnosis', description: 'Unspecified essential hypertension', others: [{ code: '40.19', system: 'ICD-9-CM procedure', description: 'Other diagnostic procedures on lymphatic structures' }] },
  ]);
});

test('cmb icd-detect: bad input exits 2 with one line naming the line number', async () => {
  const t = io(`${JSON.stringify({ text: 'I10' })}\n{"txt": "x"}\n${JSON.stringify({ text: 'E11.9' })}\n`);
  assert.equal(await runIcdDetect(['--codesets', RELEASE], t), 2);
  assert.equal(t.lines.length, 1);
  assert.equal(t.errors.at(-1), 'icd-detect: line 2: expected a JSON object with a "text" string');
  const u = io('not json\n');
  assert.equal(await runIcdDetect(['--codesets', RELEASE], u), 2);
  assert.match(u.errors.at(-1)!, /line 1/);
});

test('bad arguments and bad folders exit non-zero with a clear message', async () => {
  const t = io();
  assert.equal(await runIcd([], t), 2);
  assert.equal(await runIcd(['I10', '--bogus'], t), 2);
  assert.match(t.errors.join(''), /Unknown option --bogus/);
  const empty = tempDir('cli-empty');
  const e = io();
  assert.equal(await runIcd(['I10', '--codesets', empty], e), 1);
  assert.match(e.errors.join(''), /no ICD code files/);
  fs.rmSync(empty, { recursive: true });
});
