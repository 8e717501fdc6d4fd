/**
 * The companion's output folder is a model the engine runs with the same
 * logits: a tiny full fine-tune through `python -m cmb_companion train` on a
 * test model folder, converted by the engine (ensureOnnx), then the companion's
 * logits (`python -m cmb_companion logits`) against onnxruntime's, max abs diff
 * <= 1e-4 in fp32. Skips, saying so, when no Python has torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import '../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { findPython, type FoundPython } from '../../src/engine/finetune/python';
import { inspectModelFolder } from '../../src/engine/model/folder';
import { ensureOnnx } from '../../src/engine/model/convert/convert';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { encoderFingerprint } from '../../src/engine/model/headFolder';

const companion = resolve(__dirname, '../../companion');
const tolerance = 1e-4;
const work = mkdtempSync(join(tmpdir(), 'cmb-parity-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

let found: Promise<FoundPython | string> | undefined;
function python(): Promise<FoundPython | string> {
  found ??= findPython({ explicit: process.env['CMB_PYTHON'] || undefined }).catch((e: Error) => e.message);
  return found;
}

function companionRun(py: FoundPython, args: string[], input?: string): string {
  const r = spawnSync(py.executable, ['-m', 'cmb_companion', ...args], {
    cwd: companion, input, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(r.status, 0, `cmb_companion ${args[0]} failed: ${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** deterministic ids inside the tiny test vocabulary (512), [CLS]=2 ... [SEP]=3 */
function window(length: number, seed: number): number[] {
  const ids = [2];
  for (let i = 1; i < length - 1; i++) ids.push(4 + ((seed * 7919 + i * 104729) % 500));
  ids.push(3);
  return ids;
}

const cases = [
  { arch: 'bert', task: 'ner', head: 'token' },
  { arch: 'modernbert', task: 'classify', head: 'sequence' },
  { arch: 'modernbert', task: 'ner', head: 'token' },
] as const;

for (const c of cases) {
  test(`companion parity: ${c.arch} ${c.task} fine-tune converts and matches the engine within ${tolerance}`, async (t) => {
    const py = await python();
    if (typeof py === 'string') {
      console.log(`companion parity skipped: ${py}`);
      t.skip(py);
      return;
    }
    const base = join(work, `${c.arch}-${c.task}-base`);
    const out = join(work, `${c.arch}-${c.task}-out`);
    const data = join(work, `${c.arch}-${c.task}.cmbdata`);
    makeTestModelFolder({ arch: c.arch, out: base });
    companionRun(py, ['make-synthetic', '--out', data, '--task', c.task, '--vocab', '512', '--train', '12', '--dev', '4', '--test', '4']);
    const events = companionRun(py, ['train', '--data', data, '--model', base, '--out', out, '--epochs', '1', '--batch', '8', '--lr', '1e-3', '--threads', '1'])
      .trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    assert.equal(events.at(-1)!.event, 'done');

    const outConfig = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { cmb_companion: { source_fingerprint: string } };
    assert.equal(outConfig.cmb_companion.source_fingerprint, encoderFingerprint(await inspectModelFolder(base, { acceptVocabTxt: true })), 'the companion computes the engine\'s encoder fingerprint');
    const folder = await inspectModelFolder(out, { acceptVocabTxt: true });
    const { onnxPath } = ensureOnnx(folder, { cacheDir: join(work, 'cache') });
    const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
    const windows = [window(5, 1), window(17, 2), window(40, 3)];
    const reference = companionRun(py, ['logits', '--model', out], windows.map((ids) => JSON.stringify({ ids })).join('\n') + '\n')
      .trim().split('\n').map((l) => JSON.parse(l) as { dims: number[]; logits: number[] | number[][] });
    let worst = 0;
    for (const [w, ids] of windows.entries()) {
      const tensor = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
      const feeds: Record<string, ort.Tensor> = { input_ids: tensor(ids), attention_mask: tensor(ids.map(() => 1)) };
      if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = tensor(ids.map(() => 0));
      const logits = (await session.run(feeds))['logits']!;
      const expected = reference[w]!;
      assert.deepEqual(logits.dims.slice(1), expected.dims, 'logits shape');
      const flat = (expected.logits as unknown[]).flat() as number[];
      const got = logits.data as Float32Array;
      for (let i = 0; i < flat.length; i++) worst = Math.max(worst, Math.abs(got[i]! - flat[i]!));
    }
    t.diagnostic(`max abs diff companion vs ONNX logits: ${worst.toExponential(2)}`);
    assert.ok(worst <= tolerance, `companion and engine logits differ by ${worst}`);
    assert.equal(reference[0]!.dims.length, c.head === 'token' ? 2 : 1);
  });
}
