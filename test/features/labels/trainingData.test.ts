/**
 * "The labelled notes of this workspace" as training takes them: brat notes by
 * path (the engine reads and checks them as `cmb train --data` would), other
 * note kinds as documents, note labels through the labels files; never the
 * workspace folder, whose other files would be read as datasets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceTrainingData } from '../../../src/features/labels/trainingData';
import { readDataset } from '../../../src/engine/data/read';

test('entities: .txt notes with a .ann by path, a Markdown note as a document, unlabelled notes left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-train-data-'));
  writeFileSync(join(dir, 'a.txt'), 'Started on insulin.');
  writeFileSync(join(dir, 'a.ann'), 'T1\tDrug 11 18\tinsulin\n');
  writeFileSync(join(dir, 'b.md'), '# Note\nHas cough.');
  writeFileSync(join(dir, 'b.ann'), 'T1\tProblem 11 16\tcough\n');
  writeFileSync(join(dir, 'c.txt'), 'No labels here.');
  writeFileSync(join(dir, 'lab values.tsv'), 'sodium\t140\n');
  const notes = [{ note: join(dir, 'a.txt'), ann: join(dir, 'a.ann') }, { note: join(dir, 'b.md'), ann: join(dir, 'b.ann') }, { note: join(dir, 'c.txt') }];
  const d = await workspaceTrainingData('ner', notes, [join(dir, 'labels.csv')], dir);
  assert.deepEqual(d.data, [join(dir, 'a.txt')]);
  assert.deepEqual(d.documents, [{ id: 'b.md', text: '# Note\nHas cough.', spans: [{ start: 11, end: 16, label: 'Problem' }] }]);
  assert.equal(d.notes, 2);
  // the engine's reader takes the paths as they are
  const ds = await readDataset(d.data);
  assert.deepEqual(ds.problems, []);
  assert.deepEqual(ds.documents[0]!.spans, [{ start: 11, end: 18, label: 'Drug' }]);
});

test('classification: the labels files, and the notes they name are counted (so the picker offers them)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-train-data-'));
  writeFileSync(join(dir, 'labels.csv'), 'path,label\na.txt,cardiac\nb.txt,routine\n');
  writeFileSync(join(dir, 'labels.jsonl'), '{"path":"c.txt","label":"cardiac"}\n');
  const files = [join(dir, 'labels.csv'), join(dir, 'labels.jsonl'), join(dir, 'missing', 'labels.csv')];
  const d = await workspaceTrainingData('classify', [{ note: join(dir, 'a.txt'), ann: join(dir, 'a.ann') }], files);
  assert.deepEqual(d.data, files);
  assert.deepEqual(d.documents, []);
  assert.equal(d.notes, 3);
});
