/**
 * Note labels go into the dataset root's labels.csv (or labels.jsonl): one
 * note's row changes, every other row and column stays, a file that cannot be
 * read whole is refused rather than rewritten, and the dataset reader reads
 * what was written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDatasetRoot, LabelsFileError, noteKey, noteLabelIn, noteLabelsIn, setNoteLabel } from '../../../src/features/labels/documentLabels';
import { readDataset } from '../../../src/engine/data/read';

const ws = join('/', 'work', 'project');

test('the dataset root is the nearest folder with a labels file or marker, else the workspace folder', () => {
  const files = new Set([join(ws, 'corpus', 'labels.csv'), join(ws, 'other', '.cmb-dataset'), join(ws, 'j', 'labels.jsonl')]);
  const exists = (p: string) => files.has(p);
  assert.deepEqual(findDatasetRoot(join(ws, 'corpus', 'notes', 'a.txt'), [ws], exists), { root: join(ws, 'corpus'), labelsFile: join(ws, 'corpus', 'labels.csv'), kind: 'csv' });
  assert.deepEqual(findDatasetRoot(join(ws, 'other', 'b.txt'), [ws], exists), { root: join(ws, 'other'), labelsFile: join(ws, 'other', 'labels.csv'), kind: 'csv' });
  assert.deepEqual(findDatasetRoot(join(ws, 'j', 'x', 'c.txt'), [ws], exists), { root: join(ws, 'j'), labelsFile: join(ws, 'j', 'labels.jsonl'), kind: 'jsonl' });
  assert.equal(findDatasetRoot(join(ws, 'plain', 'd.txt'), [ws], exists).root, ws);
  // a labels file above the workspace folder is not looked for
  assert.equal(findDatasetRoot(join(ws, 'e.txt'), [ws], (p) => p === join('/', 'work', 'labels.csv')).root, ws);
  // outside every workspace folder: the note's folder
  assert.equal(findDatasetRoot(join('/', 'tmp', 'n', 'f.txt'), [ws], exists).root, join('/', 'tmp', 'n'));
  assert.equal(noteKey(join(ws, 'corpus'), join(ws, 'corpus', 'notes', 'a.txt')), 'notes/a.txt');
});

test('a first label creates labels.csv with its header', () => {
  assert.equal(setNoteLabel(undefined, 'csv', 'notes/a.txt', 'discharge'), 'path,label\nnotes/a.txt,discharge\n');
});

test('setting a label changes only that note\'s row, keeps other columns, rows and their order', () => {
  const before = 'label,path,annotator\nradiology,b.txt,ann\n"discharge, summary",a.txt,bob\nx,c.txt,\n';
  const after = setNoteLabel(before, 'csv', 'a.txt', 'progress');
  assert.equal(after, 'label,path,annotator\nradiology,b.txt,ann\nprogress,a.txt,bob\nx,c.txt,\n');
  assert.equal(noteLabelIn(after, 'csv', 'a.txt'), 'progress');
  const added = setNoteLabel(after, 'csv', 'd/e.txt', 'a "quoted" label');
  assert.equal(added.split('\n')[4], '"a ""quoted"" label",d/e.txt,');
  assert.equal(noteLabelIn(added, 'csv', 'd/e.txt'), 'a "quoted" label');
});

test('removing a note\'s label removes its row (and a duplicate row)', () => {
  const before = 'path,label\na.txt,x\nb.txt,y\na.txt,z\n';
  assert.equal(setNoteLabel(before, 'csv', 'a.txt', undefined), 'path,label\nb.txt,y\n');
  // setting a duplicated note keeps one row, the first place
  assert.equal(setNoteLabel(before, 'csv', './a.txt', 'w'), 'path,label\na.txt,w\nb.txt,y\n');
});

test('a labels.csv that cannot be read whole, or has no path,label header, is refused, not rewritten', () => {
  assert.throws(() => setNoteLabel('path,label\na.txt,"open\n', 'csv', 'b.txt', 'x'), LabelsFileError);
  assert.throws(() => setNoteLabel('text,label\nhello,x\n', 'csv', 'b.txt', 'x'), /header path,label/);
});

test('labels.jsonl: the note\'s line is replaced with its other fields, other lines stay verbatim', () => {
  const before = '{"path":"a.txt","label":"x","by":"ann"}\nnot json\n{"path":"b.txt","label":"y"}\n';
  const after = setNoteLabel(before, 'jsonl', 'a.txt', 'z');
  assert.equal(after, '{"path":"a.txt","label":"z","by":"ann"}\nnot json\n{"path":"b.txt","label":"y"}\n');
  assert.equal(setNoteLabel(after, 'jsonl', 'c.txt', 'w').split('\n')[3], '{"path":"c.txt","label":"w"}');
  assert.equal(setNoteLabel(after, 'jsonl', 'b.txt', undefined), '{"path":"a.txt","label":"z","by":"ann"}\nnot json\n');
  assert.deepEqual([...noteLabelsIn(after, 'jsonl')], [['a.txt', 'z'], ['b.txt', 'y']]);
});

test('the dataset reader reads the labels written, with the notes they name', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-doclabels-'));
  mkdirSync(join(dir, 'notes'));
  writeFileSync(join(dir, 'notes', 'a.txt'), 'Discharge summary text.');
  writeFileSync(join(dir, 'notes', 'b.txt'), 'Chest X-ray report.');
  let csv = setNoteLabel(undefined, 'csv', 'notes/a.txt', 'discharge');
  csv = setNoteLabel(csv, 'csv', 'notes/b.txt', 'radiology');
  writeFileSync(join(dir, 'labels.csv'), csv);
  const ds = await readDataset([dir]);
  assert.deepEqual(ds.documents.map((d) => [d.id, d.label]), [['notes/a.txt', 'discharge'], ['notes/b.txt', 'radiology']]);
});
