import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';
import { makeTestHead } from '../../src/engine/model/testHead';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';

async function cmb(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdin: Readable.from([Buffer.from(stdin)]), out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('cmb heads lists the head folders as JSON, broken ones with their error', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cmb-heads-cli-')), 'encoder');
  makeTestModelFolder({ arch: 'bert', out: dir });
  makeTestHead({ encoderDir: dir, name: 'note-type', task: 'sequence', labels: ['a', 'b'] });
  makeTestHead({ encoderDir: dir, name: 'entities', task: 'token' });
  const broken = makeTestHead({ encoderDir: dir, name: 'broken', task: 'token' });
  rmSync(join(broken, 'model.safetensors'));

  const r = await cmb(['heads', '--model', dir]);
  assert.equal(r.code, 0, r.err);
  const listed = JSON.parse(r.out) as { heads: Array<Record<string, unknown>> };
  assert.deepEqual(listed.heads.map((h) => h['name']), ['broken', 'entities', 'note-type']);
  assert.equal((listed.heads[0]!['error'] as { code: string }).code, 'missing-file');
  assert.equal(listed.heads[1]!['task'], 'token-classification');
  assert.equal(listed.heads[1]!['architecture'], 'linear');
  assert.deepEqual(listed.heads[2], {
    name: 'note-type', task: 'sequence-classification', architecture: 'bert-pooler', pooling: 'cls', labels: ['a', 'b'], created_by: 'makeTestHead (random weights)', demo: true,
  });
});

test('bad input: cmb heads without --model, or with an unknown option, exits 2', async () => {
  assert.equal((await cmb(['heads'])).code, 2);
  const r = await cmb(['heads', '--model', '/nonexistent', '--json', 'x']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option --json/);
});

test('a model folder without heads/ lists none', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cmb-heads-cli-')), 'plain');
  makeTestModelFolder({ arch: 'modernbert', out: dir });
  const r = await cmb(['heads', '--model', dir]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual((JSON.parse(r.out) as { heads: unknown[] }).heads, []);
});

test('cmb classify --head and cmb ner --head run a head folder', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'cmb-heads-cli-')), 'encoder');
  makeTestModelFolder({ arch: 'modernbert', out: dir });
  makeTestHead({ encoderDir: dir, name: 'kind', task: 'sequence', labels: ['discharge', 'radiology'] });
  makeTestHead({ encoderDir: dir, name: 'tags', task: 'token', labels: ['O', 'B-DRUG', 'I-DRUG'], std: 1 });
  const input = JSON.stringify({ text: 'Started on aspirin and metoprolol.' }) + '\n';
  const c = await cmb(['classify', '--model', dir, '--head', 'kind', '--provider', 'cpu'], input);
  assert.equal(c.code, 0, c.err);
  assert.deepEqual(Object.keys((JSON.parse(c.out) as { scores: object }).scores), ['discharge', 'radiology']);
  // switches among the engine options: the model loader must not take them for options with a value
  const n = await cmb(['ner', '--model', dir, '--head', 'tags', '--allow-demo', '--no-default-lexicon', '--provider', 'cpu', '--keep-going'], input);
  assert.equal(n.code, 0, n.err);
  const spans = JSON.parse(n.out) as Array<{ type: string; source: string }>;
  assert.ok(spans.length > 0 && spans.every((s) => s.type === 'drug' && s.source === 'model'));
  const bad = await cmb(['classify', '--model', dir, '--head', 'tags', '--provider', 'cpu'], input);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /classifies tokens, not whole notes/);
});
