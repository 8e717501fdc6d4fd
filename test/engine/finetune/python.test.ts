/**
 * Interpreter discovery for the fine-tuning companion, with fake interpreters:
 * small shell scripts that print what a probe of a real one would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCandidates, findPython, probeMarker, probePython, torchVersion } from '../../../src/engine/finetune/python';
import { EngineError } from '../../../src/engine/errors';

const dir = mkdtempSync(join(tmpdir(), 'cmb-python-'));
const calls = join(dir, 'calls.log');

function fake(name: string, report: Record<string, unknown> | null, body = ''): string {
  const path = join(dir, name);
  const line = report ? `echo '${probeMarker}${JSON.stringify({ python: '3.11.2', executable: path, torch: null, numpy: null, cuda: false, cuda_reason: null, ...report })}'` : '';
  writeFileSync(path, `#!/bin/sh\necho "${name}" >> '${calls}'\n${body}\n${line}\n`);
  chmodSync(path, 0o755);
  return path;
}

const noTorch = fake('notorch', { numpy: '1.24.2' });
const oldTorch = fake('oldtorch', { torch: '1.12.1', numpy: '1.24.2' });
const noNumpy = fake('nonumpy', { torch: '2.1.0+cu121' });
const cpuOnly = fake('cpuonly', { torch: '1.13.0a0', numpy: '1.24.2', cuda_reason: 'Found no NVIDIA driver on your system.' });
const withCuda = fake('withcuda', { torch: '2.4.1+cu124', numpy: '2.0.1', cuda: true });
const hangs = fake('hangs', null, 'sleep 5');
const broken = fake('broken', null, 'echo "SyntaxError: nonsense"; exit 1');
const missing = join(dir, 'not-there');

async function refusal(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EngineError, String(e));
    assert.ok(!e.message.includes('\n'), 'one line');
    return e;
  }
  assert.fail('expected a refusal');
}

test('default candidates: python3 on the PATH, then Debian\'s /usr/bin/python3, then python', () => {
  if (process.platform !== 'win32') assert.deepEqual(defaultCandidates(), ['python3', '/usr/bin/python3', 'python']);
});

test('torch versions are compared by major and minor', () => {
  assert.deepEqual(torchVersion('1.13.0a0'), [1, 13]);
  assert.deepEqual(torchVersion('2.1.0+cu121'), [2, 1]);
  assert.equal(torchVersion('garbage'), undefined);
});

test('the first interpreter with torch >= 1.13 and numpy wins; the ones passed over say why', async () => {
  const found = await findPython({ explicit: noTorch, candidates: [missing, oldTorch, noNumpy, cpuOnly, withCuda], timeoutMs: 5000 });
  assert.equal(found.command, cpuOnly);
  assert.equal(found.torch, '1.13.0a0');
  assert.equal(found.cuda, false);
  assert.equal(found.cudaReason, 'Found no NVIDIA driver on your system.');
  assert.deepEqual(found.skipped.map((s) => [s.command, s.problem]), [
    [noTorch, 'has no PyTorch (Python 3.11.2)'],
    [missing, 'not found'],
    [oldTorch, 'has PyTorch 1.12.1, older than 1.13'],
    [noNumpy, 'has PyTorch 2.1.0+cu121 but no numpy'],
  ]);
});

test('an explicit interpreter that works is used without trying others', async () => {
  const found = await findPython({ explicit: withCuda, candidates: [cpuOnly] });
  assert.equal(found.command, withCuda);
  assert.equal(found.cuda, true);
  assert.deepEqual(found.skipped, []);
});

test('bare names are looked up on the search path, and one file is probed once', async () => {
  symlinkSync(cpuOnly, join(dir, 'python3'));
  writeFileSync(calls, '');
  const found = await findPython({ candidates: ['python3', cpuOnly], pathEnv: dir });
  assert.equal(found.command, 'python3');
  const again = await findPython({ candidates: ['python3', join(dir, 'python3'), withCuda], pathEnv: dir, requireCuda: false });
  assert.equal(again.command, 'python3');
  assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2, 'each search ran the interpreter once');
});

test('no Python at all: one line naming what was tried', async () => {
  const e = await refusal(findPython({ candidates: [missing, 'python-nowhere'], pathEnv: dir }));
  assert.equal(e.code, 'no-python');
  assert.match(e.message, /No Python interpreter was found/);
  assert.ok(e.message.includes(`${missing} not found`), e.message);
  assert.match(e.message, /clinicalModernbert\.python/);
});

test('Python without torch: which interpreters were tried and how to install torch', async () => {
  const e = await refusal(findPython({ explicit: noTorch, candidates: [oldTorch, noNumpy, broken], timeoutMs: 5000 }));
  assert.equal(e.code, 'no-torch');
  assert.ok(e.message.includes(`${noTorch} has no PyTorch`), e.message);
  assert.ok(e.message.includes(`${oldTorch} has PyTorch 1.12.1, older than 1.13`), e.message);
  assert.ok(e.message.includes(`${broken} is not a working Python 3 interpreter`), e.message);
  assert.match(e.message, /pip install torch numpy/);
  assert.match(e.message, /apt install python3-torch python3-numpy/);
});

test('CUDA requested but unavailable: torch\'s reason', async () => {
  const e = await refusal(findPython({ candidates: [cpuOnly], requireCuda: true }));
  assert.equal(e.code, 'no-cuda');
  assert.match(e.message, /CUDA was requested but PyTorch 1\.13\.0a0 in .* cannot use it: Found no NVIDIA driver on your system\./);
  assert.match(e.message, /--device cpu/);
});

test('an interpreter that hangs is given up after the timeout', async () => {
  const t0 = Date.now();
  const probe = await probePython(hangs, 300);
  assert.ok('problem' in probe);
  assert.equal(probe.problem, 'did not answer within 0.3 s');
  assert.ok(Date.now() - t0 < 4000, 'did not wait for the sleep');
  const found = await findPython({ candidates: [hangs, cpuOnly], timeoutMs: 300 });
  assert.equal(found.command, cpuOnly);
});

test('the probe script runs on a real interpreter', { skip: existsSync('/usr/bin/python3') ? false : 'no /usr/bin/python3 here' }, async () => {
  const probe = await probePython('/usr/bin/python3', 60_000);
  assert.ok(!('problem' in probe), JSON.stringify(probe));
  assert.match(probe.python, /^3\./);
  if (!probe.cuda) assert.ok(probe.cudaReason, 'a reason when CUDA is unavailable');
});
