/**
 * `cmb finetune` end to end: the engine prepares the companion's input file,
 * the PyTorch companion trains a tiny test model on CPU, the engine converts
 * the result, proves parity and scores the test split; a kill -9 or a Ctrl-C
 * mid-run and `--resume` end with the uninterrupted run's figures; bad inputs
 * and a failing companion give one line. The runs that need PyTorch skip,
 * saying so, when no interpreter has it; the others use fake interpreters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main';
import { findPython, type FoundPython } from '../../src/engine/finetune/python';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { classifyDocuments, nerDocuments, writeJsonl } from '../engine/train/synthetic';

const root = mkdtempSync(join(tmpdir(), 'cmb-finetune-cli-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
process.env.CMB_STORAGE_DIR = join(root, 'storage');
// the data file goes to os.tmpdir(): a private one shows that nothing is left behind
const privateTmp = join(root, 'tmp');
mkdirSync(privateTmp);
process.env.TMPDIR = privateTmp;
const cli = resolve(__dirname, '../../dist/cli.js');
const realCompanion = resolve(__dirname, '../../companion');

const model = join(root, 'model');
makeTestModelFolder({ arch: 'modernbert', out: model });
const ner = nerDocuments(250, 1);
const file = (name: string) => join(root, name);
writeJsonl(file('train.jsonl'), ner.slice(0, 200));
writeJsonl(file('dev.jsonl'), ner.slice(200, 220));
writeJsonl(file('test.jsonl'), ner.slice(220));
writeJsonl(file('small.jsonl'), ner.slice(0, 100));
writeJsonl(file('notes.jsonl'), classifyDocuments(150, 2));
writeFileSync(file('empty.jsonl'), '');
writeJsonl(file('one-label.jsonl'), classifyDocuments(40, 3).map((d) => ({ ...d, label: 'routine' })));

let found: Promise<FoundPython | string> | undefined;
function python(): Promise<FoundPython | string> {
  found ??= findPython({ explicit: process.env['CMB_PYTHON'] || undefined }).catch((e: Error) => e.message);
  return found;
}

async function withTorch(t: { skip(m: string): void }): Promise<FoundPython | undefined> {
  const py = await python();
  if (typeof py === 'string') {
    console.log(`cmb finetune with PyTorch skipped: ${py}`);
    t.skip(py);
    return undefined;
  }
  return py;
}

async function cmb(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdin: Readable.from([]), out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err, last: err.at(-1) ?? '' };
}

/** `cmb finetune` in its own process, for signals. */
function cmbProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cli, 'finetune', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const waiters: Array<{ re: RegExp; resolve(): void }> = [];
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...waiters]) if (w.re.test(stderr)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    child,
    exit,
    stderr: () => stderr,
    stdout: () => stdout,
    waitFor: (re: RegExp) => (re.test(stderr) ? Promise.resolve() : new Promise<void>((r) => waiters.push({ re, resolve: r }))),
  };
}

/** process ids whose parent is `pid` (Linux /proc) */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function until(check: () => boolean, what: string, ms = 180_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function leftovers(): string[] {
  return readdirSync(privateTmp).filter((n) => n.startsWith('cmb-finetune-'));
}

/** A stand-in interpreter: answers the probe, and runs `-m cmb_companion train` as the script says. */
function fakePython(name: string, probe: Record<string, unknown>, train = 'exit 0'): string {
  const p = file(name);
  writeFileSync(p, `#!/bin/sh
if [ "$1" = "-c" ]; then echo 'CMB_PYTHON_PROBE ${JSON.stringify({ python: '3.11.2', executable: p, numpy: '1.26.0', cuda: false, cuda_reason: 'no CUDA GPU is visible', ...probe })}'; exit 0; fi
${train}
`);
  chmodSync(p, 0o755);
  return p;
}

const withTorchProbe = { torch: '2.3.0' };
const base = ['--model', model, '--task', 'ner', '--data', file('small.jsonl')];

test('bad input: one line each, before any training (unknown option, values, missing or non-empty folders, no Python, no PyTorch, old PyTorch, no CUDA)', async () => {
  const occupied = file('occupied');
  mkdirSync(occupied);
  writeFileSync(join(occupied, 'notes.txt'), 'x');
  const fakeNoTorch = fakePython('python-no-torch', { torch: null });
  // a run killed before its first checkpoint: the folder counts as empty (the next error is about Python, not the folder)
  const unstarted = file('unstarted');
  mkdirSync(join(unstarted, 'checkpoint'), { recursive: true });
  writeFileSync(join(unstarted, 'checkpoint', 'state.pt.123.partial'), '');
  const fakeOld = fakePython('python-old-torch', { torch: '1.12.1' });
  const fakeNoCuda = fakePython('python-cpu-torch', { torch: '2.3.0', cuda_reason: 'this PyTorch was built without CUDA' });
  const cases: Array<[string[], number, RegExp]> = [
    [[...base, '--out', file('o1'), '--bogus', '1'], 2, /^cmb finetune: unknown option --bogus \(cmb finetune takes .*--max-tokens.*--resume, --keep-data\)$/],
    [['--model', model, '--data', file('small.jsonl'), '--out', file('o1')], 2, /--task ner\|classify is required/],
    [[...base, '--out', file('o1'), '--epochs', '0'], 2, /--epochs must be at least 1/],
    [[...base, '--out', file('o1'), '--lr', 'fast'], 2, /--lr must be a positive number/],
    [[...base, '--out', file('o1'), '--device', 'tpu'], 2, /--device must be cuda or cpu/],
    [[...base, '--out', file('o1'), '--max-tokens', '2'], 2, /--max-tokens must be at least 3/],
    [['--model', model, '--task', 'ner', '--data', file('nowhere.jsonl'), '--out', file('o1')], 2, /the dataset .*nowhere\.jsonl does not exist/],
    [[...base], 2, /--out OUTDIR .* is required/],
    [[...base, '--out', occupied], 2, /output folder .*occupied is not empty; choose a new output folder/],
    [[...base, '--out', file('o1'), '--resume'], 2, /nothing to resume in .*o1/],
    [[...base, '--out', file('o1'), '--python', file('no-such-python')], 1, /No Python interpreter was found .*no-such-python not found.*clinicalModernbert\.python/],
    [[...base, '--out', file('o1'), '--python', fakeNoTorch], 1, /No Python with PyTorch >= 1\.13 and numpy was found .*has no PyTorch \(Python 3\.11\.2\).*pip install torch numpy/],
    [[...base, '--out', unstarted, '--python', fakeNoTorch], 1, /has no PyTorch/],
    [[...base, '--out', file('o1'), '--python', fakeOld], 1, /has PyTorch 1\.12\.1, older than 1\.13/],
    [[...base, '--out', file('o1'), '--python', fakeNoCuda, '--device', 'cuda'], 1, /CUDA was requested but PyTorch 2\.3\.0 .* cannot use it: this PyTorch was built without CUDA\. Train with --device cpu/],
  ];
  for (const [args, code, pattern] of cases) {
    const r = await cmb(['finetune', ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err.join('\n')}`);
    assert.match(r.last, pattern);
    assert.ok(!r.err.some((l) => /\n|^\s+at /.test(l)), `one line, no stack: ${r.err.join('|')}`);
    assert.equal(r.out.length, 0);
  }
  assert.ok(!existsSync(file('o1')), 'nothing written');
  assert.deepEqual(leftovers(), []);
});

test('bad data: an empty dataset, notes without the task\'s labels (one line, after the interpreter check)', async () => {
  const py = fakePython('python-ok', withTorchProbe);
  const cases: Array<[string[], RegExp]> = [
    [['--model', model, '--task', 'ner', '--data', file('empty.jsonl')], /The training data holds no notes/],
    [['--model', model, '--task', 'ner', '--data', file('notes.jsonl')], /None of the 150 notes has entity spans .*use the classify task/],
    [['--model', model, '--task', 'classify', '--data', file('small.jsonl')], /None of the 100 notes has a document label.*use the ner task/],
    [['--model', model, '--task', 'classify', '--data', file('one-label.jsonl')], /Every note has the label "routine": classification needs at least two labels/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cmb(['finetune', ...args, '--out', file('o2'), '--python', py]);
    assert.equal(r.code, 2, r.err.join('\n'));
    assert.match(r.last, pattern);
  }
  assert.ok(!existsSync(file('o2')));
  assert.deepEqual(leftovers(), []);
});

test('the companion fails: out of memory, a crash (its last line), killed by the system: one line each, the data file removed', async () => {
  const info = `echo '{"event":"info","message":"Fine-tuning modernbert on cuda with bf16 autocast."}'`;
  const oom = fakePython('python-oom', withTorchProbe, `${info}
echo '{"event":"error","message":"Out of memory on cuda with batches of 16 windows of up to 512 tokens; lower --batch (e.g. 8) and raise --grad-accum to keep the effective batch, or prepare shorter windows.","code":"out-of-memory"}'
echo 'Out of memory on cuda with batches of 16 windows' >&2
exit 3`);
  const crash = fakePython('python-crash', withTorchProbe, `${info}
echo 'Traceback (most recent call last):' >&2
echo 'ZeroDivisionError: division by zero' >&2
echo '{"event":"error","message":"The fine-tuning companion failed unexpectedly (ZeroDivisionError); please report it with the log.","code":"internal"}'
exit 1`);
  const killed = fakePython('python-killed', withTorchProbe, `${info}
kill -9 $$`);
  const silent = fakePython('python-silent', withTorchProbe, `${info}
exit 0`);
  const cases: Array<[string, RegExp]> = [
    [oom, /^cmb finetune: Out of memory on cuda with batches of 16 windows of up to 512 tokens; lower --batch \(e\.g\. 8\), or prepare shorter windows\.$/],
    [crash, /^cmb finetune: The fine-tuning companion failed unexpectedly \(ZeroDivisionError\).* Last line: ZeroDivisionError: division by zero$/],
    [killed, /^cmb finetune: The fine-tuning companion was killed \(SIGKILL; the system may have run out of memory\)\. The last checkpoint is kept\. Continue with the same command and --resume/],
    [silent, /^cmb finetune: The fine-tuning companion ended with exit code 0 without finishing\.$/],
  ];
  for (const [py, pattern] of cases) {
    const r = await cmb(['finetune', ...base, '--out', file('o3'), '--python', py]);
    assert.equal(r.code, 1, r.err.join('\n'));
    assert.match(r.last, pattern);
    assert.ok(r.err.includes('Fine-tuning modernbert on cuda with bf16 autocast.'), 'the companion\'s info lines are passed on');
    assert.deepEqual(leftovers(), [], 'the data file is removed');
  }
});

test('entities: fine-tuned on CPU, test F1 >= 0.95, parity <= 1e-4, the engine\'s figures written beside the companion\'s and equal to cmb eval\'s', async (t) => {
  const py = await withTorch(t);
  if (!py) return;
  const out = file('ner-out');
  // 24-token windows: notes span several windows, so stitching and the eval mask are part of every figure
  const r = await cmb(['finetune', '--model', model, '--task', 'ner', '--data', file('train.jsonl'), '--dev', file('dev.jsonl'), '--test', file('test.jsonl'), '--out', out, '--lr', '1e-3', '--epochs', '3', '--batch', '8', '--max-tokens', '24', '--python', py.executable]);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(r.out.length, 1, 'one stdout line');
  const line = JSON.parse(r.out[0]!);
  t.diagnostic(`test F1 ${line.figures.f1}, parity ${line.parity.max_abs_diff}`);
  assert.equal(line.out, out);
  assert.ok(line.figures.f1 >= 0.95, JSON.stringify(line.figures));
  assert.ok(line.parity.passed && line.parity.max_abs_diff <= 1e-4 && line.parity.windows >= 10);
  assert.equal(line.companion.f1, line.figures.strict.f1);
  assert.match(r.err.join('\n'), /data: train 200 notes \(\d+ windows, \d+ tokens\), dev 20 notes .*test 30 notes .*windows of 24 tokens/);
  assert.match(r.err.join('\n'), /epoch 1: dev entity F1 \d\.\d{4}/);
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')), 'installed: the converted model is in the folder');
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(statSync(join(out, 'metrics.json')).mode & 0o777, 0o600);
  assert.deepEqual(metrics.engine.test, line.figures);
  assert.equal(metrics.engine.parity.passed, true);
  assert.equal(metrics.engine.agreement.agreed, true);
  assert.ok(metrics.test.micro.f1 >= 0.95, 'the companion\'s own figures are kept');
  assert.deepEqual(leftovers(), [], 'the data file is removed');

  const ev = await cmb(['eval', '--model', out, '--data', file('test.jsonl'), '--window', '24']);
  assert.equal(ev.code, 0, ev.err.join('\n'));
  assert.deepEqual(JSON.parse(ev.out[0]!).figures, line.figures, 'cmb eval on the exported model gives the same figures');
});

test('note labels: windows weighted as inference weighs them, the companion\'s figures equal the engine\'s', async (t) => {
  const py = await withTorch(t);
  if (!py) return;
  const r = await cmb(['finetune', '--model', model, '--task', 'classify', '--data', file('notes.jsonl'), '--out', file('cls-out'), '--lr', '3e-3', '--epochs', '3', '--batch', '8', '--max-tokens', '16', '--keep-data', '--python', py.executable]);
  assert.equal(r.code, 0, r.err.join('\n'));
  const line = JSON.parse(r.out[0]!);
  assert.equal(line.figures.task, 'classify');
  assert.equal(line.figures.documents, 15);
  assert.ok(line.agreement.max_diff <= 1e-6, JSON.stringify(line));
  assert.equal(line.companion.macro_f1 !== null, true);
  // --keep-data keeps the input file, user-only, and says where
  const kept = /kept the data file (\S+)/.exec(r.err.join('\n'))?.[1];
  assert.ok(kept && existsSync(kept), r.err.join('\n'));
  assert.equal(statSync(kept).mode & 0o777, 0o600);
  rmSync(resolve(kept, '..'), { recursive: true });
});

const resumable = ['--model', model, '--task', 'ner', '--data', file('small.jsonl'), '--dev', file('dev.jsonl'), '--test', file('test.jsonl'), '--lr', '2e-4', '--epochs', '3', '--batch', '8', '--max-tokens', '24'];
let reference: Promise<Record<string, unknown>> | undefined;
/** the uninterrupted run that interrupted ones must end like */
function referenceRun(py: FoundPython): Promise<Record<string, unknown>> {
  reference ??= cmb(['finetune', ...resumable, '--out', file('ref-out'), '--python', py.executable]).then((r) => {
    assert.equal(r.code, 0, r.err.join('\n'));
    return JSON.parse(r.out[0]!);
  });
  return reference;
}

function sameResult(a: Record<string, unknown>, b: Record<string, unknown>): void {
  for (const k of ['figures', 'companion', 'best_epoch', 'epochs_run', 'steps']) assert.deepEqual(a[k], b[k], k);
}

test('kill -9 of the companion mid-run, then --resume: the same figures as an uninterrupted run', async (t) => {
  const py = await withTorch(t);
  if (!py) return;
  const ref = await referenceRun(py);
  const out = file('killed-out');
  const run = cmbProcess([...resumable, '--out', out, '--python', py.executable]);
  await until(() => existsSync(join(out, 'checkpoint', 'state.pt')), 'the first checkpoint');
  const companion = childrenOf(run.child.pid!);
  assert.equal(companion.length, 1, 'the companion runs as a child of cmb');
  process.kill(companion[0]!, 'SIGKILL');
  assert.equal(await run.exit, 1, run.stderr());
  assert.match(run.stderr(), /The fine-tuning companion was killed \(SIGKILL.*--resume/);
  assert.deepEqual(leftovers(), []);
  const resumed = await cmb(['finetune', ...resumable, '--out', out, '--python', py.executable, '--resume']);
  assert.equal(resumed.code, 0, resumed.err.join('\n'));
  assert.match(resumed.err.join('\n'), /Resuming at step [1-9]\d* of \d+/);
  sameResult(JSON.parse(resumed.out[0]!), ref);
});

test('Ctrl-C: the companion saves a checkpoint, cmb exits 130 naming --resume, and the resumed run ends as an uninterrupted one', async (t) => {
  const py = await withTorch(t);
  if (!py) return;
  const ref = await referenceRun(py);
  const out = file('sigint-out');
  const run = cmbProcess([...resumable, '--out', out, '--python', py.executable]);
  await run.waitFor(/epoch 1, step 1\//);
  run.child.kill('SIGINT');
  assert.equal(await run.exit, 130, run.stderr());
  assert.match(run.stderr(), /Fine-tuning was stopped; a checkpoint is saved\. Continue with the same command and --resume/);
  assert.equal(run.stdout(), '');
  assert.ok(existsSync(join(out, 'checkpoint', 'state.pt')));
  assert.deepEqual(leftovers(), []);
  const resumed = await cmb(['finetune', ...resumable, '--out', out, '--python', py.executable, '--resume']);
  assert.equal(resumed.code, 0, resumed.err.join('\n'));
  sameResult(JSON.parse(resumed.out[0]!), ref);
});

test('a parity failure leaves the model uninstalled and says so; --resume on a finished folder verifies it again', async (t) => {
  const py = await withTorch(t);
  if (!py) return;
  const ref = await referenceRun(py);
  const out = file('parity-out');
  cpSync(file('ref-out'), out, { recursive: true });
  rmSync(join(out, 'onnx'), { recursive: true });
  // a companion whose reference logits are off by 0.01 (training passes through to the real one)
  const skewed = file('skewed-companion');
  mkdirSync(join(skewed, 'cmb_companion'), { recursive: true });
  writeFileSync(join(skewed, 'cmb_companion', '__init__.py'), '');
  writeFileSync(join(skewed, 'cmb_companion', '__main__.py'), `import json, os, subprocess, sys
real = os.environ["CMB_REAL_COMPANION"]
r = subprocess.run([sys.executable, "-m", "cmb_companion"] + sys.argv[1:], cwd=real, env={**os.environ, "PYTHONPATH": real}, input=sys.stdin.read(), capture_output=True, text=True)
for line in r.stdout.splitlines():
    o = json.loads(line)
    o["logits"] = [[x + 0.01 for x in row] for row in o["logits"]] if isinstance(o["logits"][0], list) else [x + 0.01 for x in o["logits"]]
    print(json.dumps(o))
sys.stderr.write(r.stderr)
sys.exit(r.returncode)
`);
  process.env['CMB_COMPANION_DIR'] = skewed;
  process.env['CMB_REAL_COMPANION'] = realCompanion;
  let failed;
  try {
    failed = await cmb(['finetune', ...resumable, '--out', out, '--python', py.executable, '--resume']);
  } finally {
    delete process.env['CMB_COMPANION_DIR'];
  }
  assert.equal(failed.code, 1);
  assert.match(failed.last, /^cmb finetune: The fine-tuned model gives other logits in the engine than in PyTorch \(max abs diff 1\.00e-2 on \d+ held-out windows; the limit is 0\.0001\): it is not installed\./);
  assert.ok(!existsSync(join(out, 'onnx')), 'no converted model left');
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).engine.parity.passed, false);

  const again = await cmb(['finetune', ...resumable, '--out', out, '--python', py.executable, '--resume']);
  assert.equal(again.code, 0, again.err.join('\n'));
  assert.ok(!again.err.some((l) => /^Fine-tuning|^Resuming/.test(l)), 'no training: the folder was finished');
  const line = JSON.parse(again.out[0]!);
  assert.deepEqual(line.figures, ref['figures']);
  assert.ok(existsSync(join(out, 'onnx', 'model.onnx')));
});
