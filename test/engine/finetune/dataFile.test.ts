/**
 * The companion's input file carries the engine's alignment and decoding
 * rules: reading tags at the eval-mask positions window by window (as the
 * companion does) gives exactly the tags inference decodes from the same
 * logits, and weighting window probabilities by window_weight gives
 * inference's note probabilities. Windows are small here so notes span
 * several and overlaps matter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';
import { alignDocuments, IGNORE, iob2Tags, windowTargets, type AlignedDocument } from '../../../src/engine/data/align';
import { evalMasks, splitTensors, writeDataFile } from '../../../src/engine/finetune/dataFile';
import { folderWindows } from '../../../src/engine/finetune/prepare';
import { parseSafetensors } from '../../../src/engine/model/safetensors';
import { notePrediction, predictedWordTags } from '../../../src/engine/train/scoring';
import { SeededRandom } from '../../../src/engine/seededRandom';
import type { TensorOut } from '../../../src/engine/host';
import { classifyDocuments, nerDocuments } from '../train/synthetic';

const root = mkdtempSync(join(tmpdir(), 'cmb-ftdata-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
const modelDir = join(root, 'model');
makeTestModelFolder({ arch: 'bert', out: modelDir });
const { source } = folderWindows(modelDir, 16, 5);
const nerDocs = alignDocuments(nerDocuments(30, 7), source, 'token').documents;
const noteDocs = alignDocuments(classifyDocuments(30, 8), source, 'sequence').documents;
const tags = iob2Tags(['DRUG', 'PROBLEM']);

function randomLogits(doc: AlignedDocument, labels: number, rng: SeededRandom, perWindow: boolean): TensorOut[] {
  return doc.windows.map((w) => {
    const n = perWindow ? labels : w.ids.length * labels;
    return { data: Float32Array.from({ length: n }, () => rng.normal() * 3), dims: perWindow ? [labels] : [w.ids.length, labels] };
  });
}

test('the notes span several overlapping windows (otherwise the test proves nothing)', () => {
  assert.ok(nerDocs.filter((d) => d.windows.length >= 3).length >= 10, 'multi-window notes');
});

test('ner: tags read at eval-mask positions, window after window, are the words\' gold tags and inference\'s predicted tags', () => {
  const rng = new SeededRandom(5);
  const index = new Map(tags.map((t, i) => [t, i]));
  for (const doc of nerDocs) {
    const masks = evalMasks(doc);
    const targets = windowTargets(doc, index);
    const logits = randomLogits(doc, tags.length, rng, false);
    const gold: string[] = [];
    const predicted: string[] = [];
    doc.windows.forEach((w, k) => {
      for (let p = 0; p < w.ids.length; p++) {
        if (targets[k]![p] === IGNORE || !masks[k]![p]) continue;
        gold.push(tags[targets[k]![p]!]!);
        let best = 0;
        for (let j = 1; j < tags.length; j++) if (logits[k]!.data[p * tags.length + j]! > logits[k]!.data[p * tags.length + best]!) best = j;
        predicted.push(tags[best]!);
      }
    });
    assert.deepEqual(gold, doc.wordTags, `${doc.id}: gold tags`);
    assert.deepEqual(predicted, predictedWordTags(doc, logits, tags), `${doc.id}: predicted tags`);
  }
});

test('ner: every window keeps its labels for training (a word in two windows is learnt in both); the mask picks one', () => {
  const doc = nerDocs.find((d) => d.windows.length >= 3)!;
  const t = splitTensors('train', [doc], 'ner', tags);
  const labels = t.tensors.find((x) => x.name === 'train.labels')!.data;
  const mask = t.tensors.find((x) => x.name === 'train.eval_mask')!.data;
  let labelled = 0;
  let masked = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== IGNORE) labelled++;
    if (labels[i] !== IGNORE && mask[i]) masked++;
  }
  assert.equal(masked, doc.words.length);
  assert.ok(labelled > masked, `overlapping windows label shared words twice (${labelled} labels, ${masked} scored)`);
  // special tokens never carry a label
  let at = 0;
  for (const w of doc.windows) {
    assert.equal(labels[at], IGNORE, '[CLS]');
    assert.equal(labels[at + w.ids.length - 1], IGNORE, '[SEP]');
    at += w.ids.length;
  }
});

test('classify: window weights give inference\'s note probabilities', () => {
  const rng = new SeededRandom(9);
  const labels = ['cardiac', 'routine'];
  const t = splitTensors('test', noteDocs, 'classify', labels);
  const weights = t.tensors.find((x) => x.name === 'test.window_weight')!.data as Float32Array;
  const docIndex = t.tensors.find((x) => x.name === 'test.doc_index')!.data;
  const windowLabels = t.tensors.find((x) => x.name === 'test.labels')!.data;
  let w = 0;
  noteDocs.forEach((doc, d) => {
    const logits = randomLogits(doc, 2, rng, true);
    const probs = [0, 0];
    let total = 0;
    doc.windows.forEach((_, k) => {
      assert.equal(docIndex[w], d);
      assert.equal(windowLabels[w], labels.indexOf(doc.label!));
      const e = Array.from(logits[k]!.data, (x) => Math.exp(x));
      const s = e[0]! + e[1]!;
      probs[0] += (e[0]! / s) * weights[w]!;
      probs[1] += (e[1]! / s) * weights[w]!;
      total += weights[w]!;
      w++;
    });
    const want = notePrediction(doc, logits, labels).probabilities;
    assert.ok(Math.abs(probs[0]! / total - want[0]!) < 1e-6 && Math.abs(probs[1]! / total - want[1]!) < 1e-6, `${doc.id}: ${probs.map((p) => p / total)} vs ${want}`);
  });
  assert.ok(noteDocs.some((d) => d.windows.length > 1));
});

test('the file: safetensors with the documented metadata, dtypes and shapes, readable by this user only; an existing file is never overwritten', () => {
  const file = join(root, 'notes.cmbdata');
  const sizes = writeDataFile(file, { task: 'ner', id2label: tags, padTokenId: 0, maxTokens: 16, modelFingerprint: 'sha256:m', datasetFingerprint: 'sha256:d' }, { train: nerDocs.slice(0, 20), dev: nerDocs.slice(20, 25), test: nerDocs.slice(25) });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const st = parseSafetensors(readFileSync(file), file);
  assert.deepEqual(st.metadata, { format: 'cmb-finetune-data', version: '1', task: 'ner', id2label: JSON.stringify(tags), pad_token_id: '0', max_tokens: '16', model_fingerprint: 'sha256:m', dataset_fingerprint: 'sha256:d' });
  for (const split of ['train', 'dev', 'test']) {
    const s = sizes[split]!;
    assert.deepEqual(st.tensors.get(`${split}.input_ids`)!.shape, [s.tokens]);
    assert.equal(st.tensors.get(`${split}.input_ids`)!.dtype, 'I32');
    assert.deepEqual(st.tensors.get(`${split}.lengths`)!.shape, [s.windows]);
    assert.deepEqual(st.tensors.get(`${split}.labels`)!.shape, [s.tokens]);
    assert.equal(st.tensors.get(`${split}.eval_mask`)!.dtype, 'U8');
    assert.deepEqual(st.tensors.get(`${split}.doc_index`)!.shape, [s.windows]);
  }
  assert.equal(sizes['train']!.documents, 20);
  assert.throws(() => writeDataFile(file, { task: 'ner', id2label: tags, padTokenId: 0, maxTokens: 16, modelFingerprint: '', datasetFingerprint: '' }, { train: nerDocs }), /EEXIST/);
});
