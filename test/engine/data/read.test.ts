import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProblem, readDataset } from '../../../src/engine/data/read';
import { EngineError } from '../../../src/engine/errors';

const tmp = () => mkdtempSync(join(tmpdir(), 'cmb-read-'));
const conll = 'He\tO\nhas\tO\nfever\tB-Problem\n\n';
const jsonl = '{"text":"fever","spans":[{"start":0,"end":5,"label":"Problem"}]}\n';

test('the format is found by extension, else by content, and the sources say which', async () => {
  const dir = tmp();
  const files: Record<string, string> = {
    'a.conll': conll,
    'b.bio': conll,
    'c.txt': conll, // CoNLL corpora often end in .txt
    'd.data': conll,
    'e.jsonl': jsonl,
    'f.ndjson': '{"text":"x","label":"y"}\n',
    'g.json': '[{"text":"x","label":"y"}]',
    'h.export': jsonl,
    'i.csv': 'text,label\nx,y\n',
    'j.dat': 'label,text\ny,x\n',
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const got: string[] = [];
  for (const name of Object.keys(files)) {
    const d = await readDataset([join(dir, name)]);
    got.push(`${name} ${d.sources![0]!.format} ${d.sources![0]!.detectedBy}`);
  }
  assert.deepEqual(got, [
    'a.conll conll extension',
    'b.bio conll extension',
    'c.txt conll content',
    'd.data conll content',
    'e.jsonl jsonl-spans extension',
    'f.ndjson jsonl-labels extension',
    'g.json jsonl-labels content',
    'h.export jsonl-spans content',
    'i.csv csv-labels extension',
    'j.dat csv-labels content',
  ]);
});

test('a file whose format cannot be told, or a path that does not exist, is refused with one line', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'note.txt'), 'Patient seen today.\nPlan: follow up.\n');
  writeFileSync(join(dir, 'scan.bin'), Buffer.from([1, 2, 3, 0, 4]));
  for (const p of [join(dir, 'note.txt'), join(dir, 'scan.bin'), join(dir, 'absent.jsonl')]) {
    await assert.rejects(readDataset([p]), (e: unknown) => {
      assert.ok(e instanceof EngineError && e.code === 'bad-input');
      assert.ok(!e.message.includes('\n') && e.message.startsWith(p));
      assert.ok(!/Patient|Plan/.test(e.message));
      return true;
    });
  }
});

test('unreadable files are left out whole with one problem: binary, UTF-16, invalid UTF-8 (with its line), over the size cap', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bin.jsonl'), Buffer.from([0x7b, 0x00, 0x01, 0x7d]));
  writeFileSync(join(dir, 'utf16.jsonl'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"text":"a"}', 'utf16le')]));
  writeFileSync(join(dir, 'latin1.jsonl'), Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
  writeFileSync(join(dir, 'big.jsonl'), jsonl.repeat(100));
  const messages: string[] = [];
  for (const name of ['bin.jsonl', 'utf16.jsonl', 'latin1.jsonl', 'big.jsonl']) {
    const d = await readDataset([join(dir, name)], { maxFileBytes: 2000 });
    assert.equal(d.documents.length, 0, name);
    assert.equal(d.problems.length, 1, name);
    messages.push(describeProblem(d.problems[0]!));
  }
  assert.deepEqual(messages, [
    'bin.jsonl: file looks binary (it has NUL bytes), not UTF-8 text: left out',
    'utf16.jsonl: file is UTF-16 text: left out (save it as UTF-8)',
    'latin1.jsonl:2: file has bytes that are not UTF-8 on this line: left out whole (save it as UTF-8)',
    'big.jsonl: file is 7 KB, over the 2 KB limit for one dataset file: left out (split it into smaller files)',
  ]);
});

test('spans that overlap are reported with offsets, the first kept; duplicates of a document are reported, both kept', async () => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'a.jsonl'),
    [
      { text: 'left arm pain', spans: [{ start: 5, end: 13, label: 'Problem' }, { start: 0, end: 8, label: 'Site' }, { start: 5, end: 13, label: 'Problem' }, { start: 0, end: 4, label: 'Side' }] },
      { text: 'left arm pain', spans: [{ start: 5, end: 13, label: 'Problem' }, { start: 0, end: 4, label: 'Side' }] },
      { text: 'left arm pain', spans: [] },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const d = await readDataset([join(dir, 'a.jsonl')]);
  assert.deepEqual(d.documents[0]!.spans, [{ start: 0, end: 4, label: 'Side' }, { start: 5, end: 13, label: 'Problem' }]);
  assert.deepEqual(d.problems.map(describeProblem), [
    'a.jsonl:1: [0,8) Site span overlaps the Problem span at 5-13: left out (the first one is kept; nested and overlapping spans are not supported)',
    'a.jsonl:1: [5,13) Problem span appears twice: the copy is left out',
    'a.jsonl:2: same text as a.jsonl:1 (labels agree): both kept; copies in different splits inflate test figures',
    'a.jsonl:3: same text as a.jsonl:1 (labels differ): both kept; copies in different splits inflate test figures',
  ]);
});

test('several paths: a folder of mixed formats and files given twice; ids stay distinct', async () => {
  const dir = tmp();
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'train.conll'), conll);
  writeFileSync(join(dir, 'sub', 'spans.jsonl'), '{"text":"cough","spans":[]}\n');
  writeFileSync(join(dir, 'labels.tsv.bak'), 'whatever');
  writeFileSync(join(dir, '.hidden.jsonl'), jsonl);
  const other = tmp();
  mkdirSync(join(other, 'sub'));
  writeFileSync(join(other, 'train.conll'), 'Cough\tB-Problem\n');
  symlinkSync(join(dir, 'sub', 'train.conll'), join(other, 'link.conll'));
  const d = await readDataset([dir, join(other, 'train.conll'), join(dir, 'sub', 'train.conll'), join(other, 'link.conll')]);
  assert.deepEqual(d.documents.map((x) => x.id), ['sub/spans.jsonl:1', 'sub/train.conll:1', 'train.conll:1']);
  assert.equal(d.documents[2]!.text, 'Cough');
  assert.deepEqual(d.sources!.map((s) => [s.path.replace(dir, 'DIR').replace(other, 'OTHER'), s.format, s.detectedBy]), [
    ['DIR/sub/spans.jsonl', 'jsonl-spans', 'extension'],
    ['DIR/sub/train.conll', 'conll', 'extension'],
    ['OTHER/train.conll', 'conll', 'extension'],
  ]);
  assert.deepEqual(d.problems.map((p) => p.message), [
    '1 file(s) of other kinds left out (not CoNLL, brat, JSONL or CSV by their extension)',
    'reached twice (given twice, through a link, or inside a folder also given): read once',
    'reached twice (given twice, through a link, or inside a folder also given): read once',
  ]);
});

test('two files with the same name give distinct document ids', async () => {
  const a = tmp();
  const b = tmp();
  writeFileSync(join(a, 'x.conll'), conll);
  writeFileSync(join(b, 'x.conll'), 'Cough\tB-Problem\n');
  const d = await readDataset([join(a, 'x.conll'), join(b, 'x.conll')]);
  assert.deepEqual(d.documents.map((x) => x.id), ['x.conll:1', 'x.conll:1~2']);
});

test('an empty folder is reported, not an error', async () => {
  const d = await readDataset([tmp()]);
  assert.deepEqual(d.documents, []);
  assert.match(d.problems[0]!.message, /holds no dataset files/);
});
