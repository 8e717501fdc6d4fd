import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';

async function cmb(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdin: Readable.from([]), out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'cmb-convert-'));
const CONLL = 'Familial\tB-Disease\nbreast\tI-Disease\ncancer\tI-Disease\n\nAPC\tB-Gene\nmutation\tO\n\n';

test('cmb convert-data CoNLL -> JSONL: one JSON line with sources, format and counts; exit 0', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.conll'), CONLL);
  const r = await cmb(['convert-data', '--from', join(dir, 'in.conll'), '--to', join(dir, 'out.jsonl')]);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.err, []);
  assert.equal(r.out.length, 1);
  assert.deepEqual(JSON.parse(r.out[0]!), {
    from: [{ path: join(dir, 'in.conll'), format: 'conll', detected: 'extension' }],
    to: join(dir, 'out.jsonl'),
    format: 'jsonl-spans',
    documents: 2,
    spans: { Disease: 1, Gene: 1 },
    labels: {},
    written: 2,
    problems: 0,
  });
  assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('several --from, brat folder output by a path without extension, CSV labels by --format', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.conll'), CONLL);
  writeFileSync(join(dir, 'b.jsonl'), '{"text":"fever","spans":[{"start":0,"end":5,"label":"Problem"}],"label":"sick"}\n');
  const r = await cmb(['convert-data', '--from', join(dir, 'a.conll'), `--from=${join(dir, 'b.jsonl')}`, '--to', join(dir, 'out')]);
  assert.equal(r.code, 0, r.err.join('\n'));
  const line = JSON.parse(r.out[0]!) as Record<string, unknown>;
  assert.equal(line['format'], 'brat');
  assert.deepEqual(line['spans'], { Disease: 1, Gene: 1, Problem: 1 });
  assert.deepEqual(line['labels'], { sick: 1 });
  assert.ok(existsSync(join(dir, 'out', 'b-1.ann')) && existsSync(join(dir, 'out', 'labels.csv')));
  const c = await cmb(['convert-data', '--from', join(dir, 'out'), '--to', join(dir, 'labels.txt'), '--format', 'csv']);
  assert.equal(c.code, 0);
  assert.equal(readFileSync(join(dir, 'labels.txt'), 'utf8'), 'text,label\nfever,sick\n');
  assert.deepEqual(c.err, ['a-1.txt: 2 document(s) have no document label: left out of the label file', 'b-1.txt: a label file holds no spans: the spans of 1 document(s) are not written']);
});

test('problems go to stderr one per line (file:line, document, offsets) and do not fail the run; --strict fails it and writes nothing', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.jsonl'), '{"text":"Jane Doe has fever","spans":[{"start":13,"end":18,"label":"P"},{"start":9,"end":99,"label":"P"}]}\nnot json about Jane\n');
  const r = await cmb(['convert-data', '--from', join(dir, 'in.jsonl'), '--to', join(dir, 'out.conll')]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.err, ['in.jsonl:1: [9,99) P span lies outside the text: left out', 'in.jsonl:2: not valid JSON: line left out']);
  assert.ok(r.err.every((l) => !/Jane|Doe|fever/.test(l)), 'no note text on stderr');
  assert.equal((JSON.parse(r.out[0]!) as { problems: number }).problems, 2);
  assert.equal(readFileSync(join(dir, 'out.conll'), 'utf8'), 'Jane\tO\nDoe\tO\nhas\tO\nfever\tB-P\n\n');

  const s = await cmb(['convert-data', '--from', join(dir, 'in.jsonl'), '--to', join(dir, 'strict.conll'), '--strict']);
  assert.equal(s.code, 1);
  assert.equal(s.err[s.err.length - 1], 'cmb convert-data: 2 problem(s) and --strict: nothing written');
  assert.equal((JSON.parse(s.out[0]!) as { written: number }).written, 0);
  assert.ok(!existsSync(join(dir, 'strict.conll')));
});

test('an existing output is refused with exit 2 unless --force', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.conll'), CONLL);
  writeFileSync(join(dir, 'out.jsonl'), 'precious');
  const r = await cmb(['convert-data', '--from', join(dir, 'in.conll'), '--to', join(dir, 'out.jsonl')]);
  assert.equal(r.code, 2);
  assert.match(r.err.join('\n'), /already exists/);
  assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8'), 'precious');
  const f = await cmb(['convert-data', '--from', join(dir, 'in.conll'), '--to', join(dir, 'out.jsonl'), '--force']);
  assert.equal(f.code, 0);
  assert.notEqual(readFileSync(join(dir, 'out.jsonl'), 'utf8'), 'precious');
});

test('nothing readable: exit 1, nothing written', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.jsonl'), 'garbage\n');
  const r = await cmb(['convert-data', '--from', join(dir, 'in.jsonl'), '--to', join(dir, 'out.jsonl')]);
  assert.equal(r.code, 1);
  assert.equal(r.err[r.err.length - 1], 'cmb convert-data: no documents could be read: nothing written');
  assert.ok(!existsSync(join(dir, 'out.jsonl')));
});

test('bad usage exits 2 with one line', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.conll'), CONLL);
  writeFileSync(join(dir, 'note.txt'), 'Patient seen today.\n');
  const from = join(dir, 'in.conll');
  const cases: Array<[string[], RegExp]> = [
    [['--to', join(dir, 'x.jsonl')], /--from PATH is required/],
    [['--from', from], /--to FILE_OR_DIR is required/],
    [['--from', from, '--to', join(dir, 'x.jsonl'), '--json'], /unknown option --json/],
    [['--from', from, '--to', join(dir, 'x.jsonl'), 'extra'], /unexpected argument "extra"/],
    [['--from', from, '--to', join(dir, 'x.jsonl'), '--format', 'xml'], /--format must be one of/],
    [['--from', from, '--to', join(dir, 'x.xml')], /cannot tell the output format/],
    [['--from', from, '--to', join(dir, 'x.jsonl'), '--offsets', 'bytes'], /--offsets must be codepoints or utf16/],
    [['--from', from, '--to', join(dir, 'x.jsonl'), '--max-mb', '0'], /--max-mb must be a positive number/],
    [['--from', from, '--to'], /--to needs a value/],
    [['--from', join(dir, 'note.txt'), '--to', join(dir, 'x.jsonl')], /note\.txt: not a dataset format cmb can read/],
    [['--from', join(dir, 'absent.conll'), '--to', join(dir, 'x.jsonl')], /absent\.conll: no such file or folder/],
  ];
  for (const [args, message] of cases) {
    const r = await cmb(['convert-data', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.err.length, 1, args.join(' '));
    assert.match(r.err[0]!, message);
    assert.ok(r.err[0]!.startsWith('cmb convert-data: '));
  }
  assert.ok(!existsSync(join(dir, 'x.jsonl')));
});

test('cmb --help lists convert-data', async () => {
  const r = await cmb(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out.join('\n'), /convert-data --from PATH/);
});
