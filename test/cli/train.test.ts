import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { classifyDocuments, nerDocuments, writeJsonl } from '../engine/train/synthetic';

const root = mkdtempSync(join(tmpdir(), 'cmb-train-cli-'));
process.env.CMB_STORAGE_DIR = join(root, 'storage');
const model = join(root, 'encoder');
makeTestModelFolder({ arch: 'modernbert', out: model });
const nerFile = join(root, 'entities.jsonl');
const notesFile = join(root, 'notes.jsonl');
writeJsonl(nerFile, nerDocuments(200, 1));
writeJsonl(notesFile, classifyDocuments(400, 2));

async function cmb(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdin: Readable.from([Buffer.from(stdin)]), out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

test('cmb train (ner) writes DIR/heads/NAME, prints the test figures as the one JSON line on stdout and a Markdown report; cmb ner --head uses it', async () => {
  const report = join(root, 'report.md');
  const r = await cmb(['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'ents', '--lr', '0.01', '--report', report]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.length, 1, 'one stdout line');
  const line = JSON.parse(r.out[0]!);
  assert.equal(line.head, 'ents');
  assert.equal(line.dir, join(model, 'heads', 'ents'));
  assert.equal(line.demo, true);
  assert.equal(line.figures.task, 'ner');
  assert.ok(line.figures.f1 >= 0.95, JSON.stringify(line.figures));
  assert.deepEqual(line.split, { seed: 13, train: 160, dev: 20, test: 20, dev_given: false, test_given: false });
  assert.match(r.err, /epoch 1\/20: loss \d\.\d{4}, dev \d\.\d{4}/);
  assert.match(r.err, /note: The encoder has random weights/);
  assert.match(readFileSync(report, 'utf8'), /^# Training report: heads\/ents\n/);
  assert.ok(existsSync(join(model, 'heads', 'ents', 'metrics.json')));

  const note = 'Patient seen today with pneumonia and started insulin daily.';
  const tagged = await cmb(['ner', '--model', model, '--head', 'ents', '--allow-demo', '--merge', 'modelOnly'], JSON.stringify({ text: note }) + '\n');
  assert.equal(tagged.code, 0, tagged.err);
  const spans = (JSON.parse(tagged.out[0]!) as Array<{ start: number; end: number; type: string }>).map((s) => [note.slice(s.start, s.end), s.type]);
  assert.deepEqual(spans, [['pneumonia', 'problem'], ['insulin', 'drug']]);

  const ev = await cmb(['eval', '--model', model, '--head', 'ents', '--data', nerFile]);
  assert.equal(ev.code, 0, ev.err);
  assert.equal(ev.out.length, 1);
  const figures = JSON.parse(ev.out[0]!).figures;
  assert.equal(figures.documents, 200);
  assert.ok(figures.f1 >= 0.95);
});

test('cmb train (classify) and cmb classify --head NAME', async () => {
  const r = await cmb(['train', '--model', model, '--task', 'classify', '--data', notesFile, '--out', 'kind', '--lr', '0.1', '--epochs', '60', '--patience', '15']);
  assert.equal(r.code, 0, r.err);
  const line = JSON.parse(r.out.at(-1)!);
  assert.ok(line.figures.macro_f1 >= 0.95, JSON.stringify(line.figures));
  assert.deepEqual(line.figures.confusion.labels, ['cardiac', 'routine']);
  const c = await cmb(['classify', '--model', model, '--head', 'kind'], JSON.stringify({ text: 'patient seen today with chest and cough.' }) + '\n' + JSON.stringify({ text: 'patient seen today with cough, stable home.' }) + '\n');
  assert.equal(c.code, 0, c.err);
  assert.deepEqual(c.out.map((l) => JSON.parse(l).label), ['cardiac', 'routine']);
});

test('bad input exits 2 with one line: unknown option, missing or wrong values, empty data, labels missing, tiny data, unknown head', async () => {
  const empty = join(root, 'empty.jsonl');
  writeFileSync(empty, '');
  const tiny = join(root, 'tiny.jsonl');
  writeJsonl(tiny, nerDocuments(5, 3));
  const cases: Array<[string[], RegExp]> = [
    [['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'x', '--bogus', '1'], /unknown option --bogus/],
    [['train', '--model', model, '--data', nerFile, '--out', 'x'], /--task ner\|classify is required/],
    [['train', '--model', model, '--task', 'tag', '--data', nerFile, '--out', 'x'], /--task must be ner or classify/],
    [['train', '--model', model, '--task', 'ner', '--out', 'x'], /--data PATH .* is required/],
    [['train', '--model', model, '--task', 'ner', '--data', nerFile], /--out NAME .* is required/],
    [['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'x', '--epochs', 'many'], /--epochs must be a whole number/],
    [['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'x', '--head', 'deep'], /--head must be linear or mlp/],
    [['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'x', '--out', 'y'], /--out is given twice/],
    [['train', '--model', model, '--task', 'ner', '--data', empty, '--out', 'x'], /holds no notes/],
    [['train', '--model', model, '--task', 'ner', '--data', join(root, 'missing.jsonl'), '--out', 'x'], /does not exist/],
    [['train', '--model', model, '--task', 'classify', '--data', nerFile, '--out', 'x'], /None of the 200 notes has a document label/],
    [['train', '--model', model, '--task', 'ner', '--data', tiny, '--out', 'x'], /has 5 usable notes; at least 10 are needed/],
    [['train', '--model', model, '--task', 'ner', '--data', nerFile, '--out', 'x', '--layers', '7'], /the encoder has 3/],
    [['eval', '--model', model, '--head', 'nope', '--data', nerFile], /no usable task head "nope"/],
    [['eval', '--model', model, '--data', nerFile], /has no token or sequence classification head of its own.*name one of its head folders \(.*ents/],
    [['eval', '--model', model, '--head', 'ents', '--data', nerFile, '--epochs', '3'], /unknown option --epochs/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cmb(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, pattern, args.join(' '));
    assert.equal(r.err.split('\n').length, 1, `one line: ${r.err}`);
    assert.deepEqual(r.out, []);
  }
  assert.ok(!existsSync(join(model, 'heads', 'x')));
});

const ncbi = join(__dirname, '..', '..', '..', 'shared', 'data', 'ner', 'ncbi_disease', 'devel.tsv');

test('cmb train reads a real CoNLL corpus end to end (NCBI-disease dev split, tiny random model: quality irrelevant)', { skip: existsSync(ncbi) ? false : `${ncbi} is absent` }, async () => {
  const r = await cmb(['train', '--model', model, '--task', 'ner', '--data', ncbi, '--out', 'ncbi', '--epochs', '1']);
  assert.equal(r.code, 0, r.err);
  const line = JSON.parse(r.out.at(-1)!);
  // 923 sentences, each a note: 80/10/10
  assert.equal(line.split.train + line.split.dev + line.split.test, 923);
  assert.deepEqual(Object.keys(line.figures.per_label), ['Disease']);
  assert.ok(line.figures.per_label.Disease.support > 50);
  assert.ok(line.figures.words > 1000);
  const metrics = JSON.parse(readFileSync(join(model, 'heads', 'ncbi', 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.labels, ['O', 'B-Disease', 'I-Disease']);
  assert.equal(metrics.dataset.sources.data[0], ncbi);
});
