/**
 * The fine-tune's order of events, with a stand-in interpreter and engine:
 * the input file's folder is removed whatever happens (kept with keepData),
 * cancel during training reaches the companion as SIGINT, cancel during the
 * verification is resumable, and a finished folder is verified without
 * training again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../../../src/engine/errors';
import { outputState, runFinetune, type FinetuneEngineCalls, type FinetuneRequest } from '../../../src/engine/finetune/run';
import type { FinetunePrepareResult, FinetuneVerifyResult } from '../../../src/engine/finetune/protocol';

const root = mkdtempSync(join(tmpdir(), 'cmb-ftrun-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** answers the probe; as the companion, writes its arguments to ARGS_FILE, then runs BODY */
function fakePython(name: string, body: string): string {
  const p = join(root, name);
  writeFileSync(p, `#!/bin/sh
if [ "$1" = "-c" ]; then echo 'CMB_PYTHON_PROBE {"python":"3.11.2","executable":"${p}","torch":"2.3.0","numpy":"1.26.0","cuda":false,"cuda_reason":"no CUDA GPU is visible"}'; exit 0; fi
echo "$@" > "${join(root, `${name}.args`)}"
${body}
`);
  chmodSync(p, 0o755);
  return p;
}

const done = `echo '{"event":"done","out":"x","best_epoch":1,"epochs_run":1,"stopped_early":false,"steps":3,"seconds":0.1,"metrics":{}}'`;

function engine(verify?: (signal: AbortSignal) => Promise<FinetuneVerifyResult>): FinetuneEngineCalls & { workDirs: string[] } {
  const workDirs: string[] = [];
  return {
    workDirs,
    prepare: async () => {
      const workDir = mkdtempSync(join(root, 'work-'));
      writeFileSync(join(workDir, 'notes.cmbdata'), 'x');
      workDirs.push(workDir);
      return { dataFile: join(workDir, 'notes.cmbdata'), workDir, labels: ['O', 'B-X', 'I-X'], splits: {}, windowTokens: 128, stride: 32, datasetFingerprint: '', modelFingerprint: '', problemCount: 0, problems: [], warnings: [] } satisfies FinetunePrepareResult;
    },
    verify: async (_p, signal) => (verify ? verify(signal) : ({ out: 'x' } as FinetuneVerifyResult)),
  };
}

const request = (out: string, python: string, extra: Partial<FinetuneRequest> = {}): FinetuneRequest => ({ model: join(root, 'model'), out, task: 'ner', data: ['d'], python, pythonOnly: true, resumeHint: 'Resume it.', ...extra });

test('the companion gets the settings, the data file is removed after the run; --keep-data keeps it', async () => {
  const py = fakePython('py-done', done);
  const e = engine();
  const r = await runFinetune(request(join(root, 'out1'), py, { epochs: 2, lr: 1e-4, batch: 4, layersTrainable: 2, device: 'cpu', seed: 7 }), e, { phase: () => undefined }, new AbortController().signal);
  assert.equal(r.done?.steps, 3);
  const args = readFileSync(join(root, 'py-done.args'), 'utf8').trim();
  assert.match(args, /^-m cmb_companion train --data \S+notes\.cmbdata --model \S+model --out \S+out1 --seed 7 --device cpu --epochs 2 --lr 0\.0001 --batch 4 --layers-trainable 2$/);
  assert.ok(!existsSync(e.workDirs[0]!), 'removed');
  const kept = await runFinetune(request(join(root, 'out2'), py, { keepData: true }), e, { phase: () => undefined }, new AbortController().signal);
  assert.equal(kept.dataFile, join(e.workDirs[1]!, 'notes.cmbdata'));
  assert.ok(existsSync(kept.dataFile!));
});

test('cancel while the companion trains: it gets SIGINT, the run is resumable, the data file is removed', async () => {
  // a companion that checkpoints and stops on SIGINT, as the real one does
  const py = fakePython('py-sigint', `trap 'echo "{\\"event\\":\\"checkpoint\\",\\"step\\":1}"; echo "{\\"event\\":\\"stopped\\",\\"reason\\":\\"interrupted\\"}"; exit 130' INT
echo '{"event":"step","step":1,"epoch":1,"loss":1,"lr":0,"tokens_per_s":1,"eta_s":1,"total_steps":9}'
while true; do sleep 0.05; done`);
  const e = engine();
  const ac = new AbortController();
  const events: string[] = [];
  await assert.rejects(
    runFinetune(request(join(root, 'out3'), py), e, { phase: () => undefined, event: (ev) => {
      events.push(ev.event);
      if (ev.event === 'step') ac.abort();
    } }, ac.signal),
    (err: EngineError) => err.code === 'interrupted' && /a checkpoint is saved\. Resume it\./.test(err.message),
  );
  assert.deepEqual(events, ['step', 'checkpoint', 'stopped']);
  assert.ok(!existsSync(e.workDirs[0]!));
});

test('cancel during the verification: resumable, and a finished folder is verified again without training', async () => {
  const py = fakePython('py-done2', done);
  const out = join(root, 'out4');
  const slowVerify = (signal: AbortSignal) => new Promise<FinetuneVerifyResult>((_, reject) => {
    if (signal.aborted) reject(new EngineError('cancelled', 'Cancelled.'));
    signal.addEventListener('abort', () => reject(new EngineError('cancelled', 'Cancelled.')));
  });
  const ac = new AbortController();
  // the user cancels once the verification has started
  const verifying = engine((signal) => {
    ac.abort();
    return slowVerify(signal);
  });
  await assert.rejects(
    runFinetune(request(out, py), verifying, { phase: () => undefined }, ac.signal),
    (err: EngineError) => err.code === 'interrupted' && /finished, but its verification was cancelled; the model is not installed yet\. Resume it\./.test(err.message),
  );
  // what the companion leaves when it finishes
  mkdirSync(out, { recursive: true });
  for (const f of ['config.json', 'metrics.json', 'model.safetensors']) writeFileSync(join(out, f), '{}');
  assert.equal(outputState(out), 'finished');
  const again = engine();
  const phases: string[] = [];
  const r = await runFinetune(request(out, py, { resume: true }), again, { phase: (m) => phases.push(m) }, new AbortController().signal);
  assert.equal(r.done, undefined);
  assert.deepEqual(again.workDirs, [], 'no data prepared');
  assert.ok(!phases.some((p) => /Fine-tuning|Resuming|Preparing/.test(p)), phases.join('|'));
});

test('what resume finds in the output folder', () => {
  const dir = join(root, 'states');
  assert.equal(outputState(dir), 'absent');
  mkdirSync(join(dir, 'checkpoint'), { recursive: true });
  assert.equal(outputState(dir), 'empty', 'a run killed before its first checkpoint');
  writeFileSync(join(dir, 'checkpoint', 'state.pt'), '');
  assert.equal(outputState(dir), 'checkpoint');
  rmSync(join(dir, 'checkpoint'), { recursive: true });
  writeFileSync(join(dir, 'notes.txt'), '');
  assert.equal(outputState(dir), 'other');
});
