import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectHead } from '../../../src/engine/tasks/heads';
import { FakeModel } from './fakeModel';

function withConfig(m: FakeModel, architectures: string[], labels: string[], outputs = ['logits']): FakeModel {
  Object.assign(m.config, { architectures, id2label: labels });
  Object.assign(m.info, { architectures, labels, outputs });
  return m;
}

test('the head is read from config.json architectures', () => {
  assert.equal(detectHead(withConfig(new FakeModel(), ['BertForTokenClassification'], ['O', 'B-X'])), 'token');
  assert.equal(detectHead(withConfig(new FakeModel(), ['ModernBertForSequenceClassification'], ['a', 'b'])), 'sequence');
});

test('a masked-LM checkpoint with the default LABEL_0/LABEL_1 id2label has no task head', () => {
  assert.equal(detectHead(withConfig(new FakeModel(), ['ModernBertForMaskedLM'], ['LABEL_0', 'LABEL_1'])), 'none');
});

test('without architectures, tag-shaped labels mean a token head, other labels a sequence head', () => {
  assert.equal(detectHead(withConfig(new FakeModel(), [], ['O', 'B-PROBLEM', 'I-PROBLEM'])), 'token');
  assert.equal(detectHead(withConfig(new FakeModel(), [], ['radiology', 'discharge_summary'])), 'sequence');
});

test('no logits output or no labels: no head', () => {
  assert.equal(detectHead(withConfig(new FakeModel(), ['BertForTokenClassification'], ['O', 'B-X'], ['last_hidden_state'])), 'none');
  assert.equal(detectHead(withConfig(new FakeModel(), ['BertForTokenClassification'], [])), 'none');
});
