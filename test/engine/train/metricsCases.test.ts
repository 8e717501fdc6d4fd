/**
 * The shared golden cases (test/fixtures/metrics/cases.json) through the
 * engine's metrics, as companion/tests/test_metrics.py runs them through the
 * companion's port: the two implementations cannot drift apart, so the
 * fine-tune's figures and `cmb eval`'s mean the same thing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classificationMetrics, entityMetrics } from '../../../src/engine/train/metrics';

interface Triple { precision: number; recall: number; f1: number; support?: number }
interface EntityCase { name: string; true: string[][]; pred: string[][]; expected: { per_label: Record<string, Triple>; micro: Triple; macro: Triple; token_accuracy: number } }
interface ClassCase {
  name: string; labels: string[]; true: string[]; pred: string[]; probabilities?: number[][];
  expected: { accuracy: number; macro_f1: number; per_class: Record<string, Triple>; confusion: number[][]; auroc: number | null };
}

const cases = JSON.parse(readFileSync(join(__dirname, '../../fixtures/metrics/cases.json'), 'utf8')) as { entity: EntityCase[]; classification: ClassCase[] };
const TOLERANCE = 1e-6; // as the fixture's README says

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= TOLERANCE, `${what}: ${got}, expected ${want}`);
}

function closeTriple(got: Triple, want: Triple, what: string): void {
  close(got.precision, want.precision, `${what} precision`);
  close(got.recall, want.recall, `${what} recall`);
  close(got.f1, want.f1, `${what} F1`);
  if (want.support !== undefined) assert.equal(got.support, want.support, `${what} support`);
}

test('the golden cases exist and cover both tasks', () => {
  assert.ok(cases.entity.length >= 5 && cases.classification.length >= 3);
});

for (const c of cases.entity) {
  test(`entity case "${c.name}" (seqeval strict IOB2)`, () => {
    const m = entityMetrics(c.true, c.pred, 'strict');
    assert.deepEqual(Object.keys(m.perLabel).sort(), Object.keys(c.expected.per_label).sort(), 'types reported');
    for (const [type, want] of Object.entries(c.expected.per_label)) closeTriple(m.perLabel[type]!, want, type);
    closeTriple(m.micro, c.expected.micro, 'micro');
    closeTriple(m.macro, { ...c.expected.macro, support: undefined }, 'macro');
    close(m.tokenAccuracy, c.expected.token_accuracy, 'token accuracy');
  });
}

for (const c of cases.classification) {
  test(`classification case "${c.name}"`, () => {
    const id = (l: string) => c.labels.indexOf(l);
    const m = classificationMetrics(c.labels, c.true.map(id), c.pred.map(id), c.probabilities);
    close(m.accuracy, c.expected.accuracy, 'accuracy');
    close(m.macroF1, c.expected.macro_f1, 'macro F1');
    for (const [label, want] of Object.entries(c.expected.per_class)) closeTriple(m.perClass[label]!, want, label);
    assert.deepEqual(m.confusion, c.expected.confusion, 'confusion matrix');
    if (c.expected.auroc === null) assert.equal(m.auroc, null, 'AUROC undefined');
    else close(m.auroc!, c.expected.auroc, 'AUROC');
  });
}
