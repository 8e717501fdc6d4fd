/**
 * demo/labelled/ is what scripts/make-demo-labels.ts writes (no hand-edited
 * blobs), and the dataset reader reads it without a problem: 40 notes with
 * Problem and Drug spans and a note label each.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../../src/engine/data/read';

const root = join(__dirname, '../../..');
const demo = join(root, 'demo', 'labelled');

test('the labelled demo notes are the generator\'s output', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'cmb-demo-labels-')), 'labelled');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'make-demo-labels.ts'), out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const list = (d: string) => readdirSync(d, { recursive: true, withFileTypes: false }).map(String).sort();
  assert.deepEqual(list(out), list(demo));
  for (const f of list(demo).filter((x) => x.includes('.'))) assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(demo, f), 'utf8'), f);
});

test('the labelled demo notes read without problems', async () => {
  const ds = await readDataset([demo]);
  assert.deepEqual(ds.problems, []);
  assert.equal(ds.documents.length, 40);
  const labels = new Set(ds.documents.flatMap((d) => (d.spans ?? []).map((s) => s.label)));
  assert.deepEqual([...labels].sort(), ['Drug', 'Problem']);
  assert.deepEqual(ds.documents.filter((d) => d.label === 'respiratory').length, 20);
});
