/**
 * Runs the companion's Python suite (companion/tests: fidelity against the
 * transformers fixtures, metrics golden cases, data file validation, a tiny
 * full fine-tune, kill -9 and resume, bad inputs) with an interpreter found by
 * the extension's own discovery. Skips, saying so, when no Python has torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { findPython, type FoundPython } from '../../src/engine/finetune/python';

const companion = resolve(__dirname, '../../companion');

async function pythonWithTorch(): Promise<FoundPython | string> {
  try {
    return await findPython({ explicit: process.env['CMB_PYTHON'] || undefined });
  } catch (e) {
    return (e as Error).message;
  }
}

test('companion Python suite (python -m unittest discover companion/tests)', async (t) => {
  const python = await pythonWithTorch();
  if (typeof python === 'string') {
    console.log(`companion Python suite skipped: ${python}`);
    t.skip(python);
    return;
  }
  t.diagnostic(`${python.executable}: Python ${python.python}, torch ${python.torch}, numpy ${python.numpy}`);
  const r = spawnSync(python.executable, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
    cwd: companion, encoding: 'utf8', timeout: 600_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (/^(fidelity|tiny) |^Ran \d+ tests|^OK|^FAILED/.test(line)) t.diagnostic(line);
  }
  assert.equal(r.status, 0, `the companion's Python tests failed:\n${r.stderr.slice(-6000)}`);
});
