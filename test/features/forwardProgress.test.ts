/**
 * The engine reports fractions done; VS Code's notifications take increments.
 * Every cancellable progress notification of the extension goes through this.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardProgress } from '../../src/features/forwardProgress';

function recorder() {
  const steps: Array<{ message?: string; increment?: number }> = [];
  return { steps, report: forwardProgress((p) => steps.push(p)) };
}

test('fractions become increments that add up to the fraction done', () => {
  const { steps, report } = recorder();
  report({ message: 'Downloading', fraction: 0.25 });
  report({ message: 'Downloading', fraction: 0.5 });
  report({ message: 'Checking', fraction: 1 });
  assert.deepEqual(steps, [
    { message: 'Downloading', increment: 25 },
    { message: 'Downloading', increment: 25 },
    { message: 'Checking', increment: 50 },
  ]);
});

test('the bar never moves back: a fraction below the best so far adds nothing', () => {
  const { steps, report } = recorder();
  report({ fraction: 0.6 });
  report({ message: 'next phase', fraction: 0.1 });
  report({ fraction: 0.7 });
  assert.deepEqual(steps.map((s) => s.increment), [60, 0, 10]);
});

test('a step without a fraction changes the message only; one without a message keeps the one shown', () => {
  const { steps, report } = recorder();
  report({ message: 'Reading code files' });
  report({ fraction: 0.5 });
  assert.deepEqual(steps, [{ message: 'Reading code files' }, { increment: 50 }]);
  assert.equal('message' in steps[1]!, false);
});
