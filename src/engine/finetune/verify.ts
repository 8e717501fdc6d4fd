/**
 * The engine's second half of a full fine-tune: the companion's output folder
 * becomes a model the extension runs, with proof.
 *
 * 1. Convert it to ONNX (OUTDIR/onnx/model.onnx) and load it on the CPU, fp32.
 * 2. Parity: on held-out windows (the test split's first windows and its
 *    longest), the companion's PyTorch logits (`cmb_companion logits`, CPU,
 *    fp32) against onnxruntime's; max abs diff <= 1e-4, else the converted
 *    file is removed, so the folder is not installed, and the error says so.
 * 3. The test split scored as inference runs it (train/evaluate.ts), compared
 *    with the companion's own test figures: equal up to rounding (1e-6) when
 *    the companion evaluated in fp32 (otherwise a bug: refused as in 2); with
 *    bf16 autocast on a GPU, within 0.02, else a warning.
 * 4. The engine's figures, parity and agreement are written into
 *    OUTDIR/metrics.json beside the companion's (0600).
 */
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import type { LoadedModel } from '../host';
import { defaultEngineSettings } from '../coreProtocol';
import { loadModel } from '../model/loadModel';
import { labelsOf } from '../tasks/heads';
import { scoreDocuments, scoringHeadOf } from '../train/evaluate';
import type { Figures } from '../train/protocol';
import { companionDir, companionEnv } from './companion';
import { finetuneSplits } from './prepare';
import type { FigureAgreement, FinetuneVerifyParams, FinetuneVerifyResult, ParityResult } from './protocol';

export const PARITY_TOLERANCE = 1e-4;
/** engine figures are rounded to 6 decimals: fp32 evaluations agree to that */
export const FP32_FIGURE_TOLERANCE = 1e-6 + 1e-9;
/** bf16 autocast moves logits by ~1e-2: a near tie may flip a word or a note */
export const BF16_FIGURE_TOLERANCE = 0.02;
const PARITY_FIRST_WINDOWS = 12;
const PARITY_LONGEST_WINDOWS = 4;
export const METRICS_FILE = 'metrics.json';

/** Held-out windows for the parity check: the first ones, and the longest (padding and positions matter most there). */
export function parityWindows(windows: readonly (readonly number[])[]): number[][] {
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(PARITY_FIRST_WINDOWS, windows.length); i++) picked.add(i);
  const byLength = windows.map((w, i) => [w.length, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byLength.slice(0, PARITY_LONGEST_WINDOWS)) picked.add(i);
  return [...picked].sort((a, b) => a - b).map((i) => [...windows[i]!]);
}

/** The companion's logits for token-id windows, one flat array per window (PyTorch, CPU, fp32). */
export function companionLogits(python: string, modelDir: string, windows: readonly number[][], signal: AbortSignal): Promise<number[][]> {
  const dir = companionDir();
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-m', 'cmb_companion', 'logits', '--model', modelDir, '--device', 'cpu'], { cwd: dir, env: companionEnv(dir), stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const onAbort = () => child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined); // a companion that dies early closes its stdin; the exit code tells why
    child.on('error', (e) => reject(new EngineError('no-python', `The parity check could not start ${python} (${(e as NodeJS.ErrnoException).code ?? e.message}).`)));
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(new EngineError('cancelled', 'The parity check was cancelled.'));
      if (code !== 0) {
        const last = Buffer.concat(err).toString('utf8').trim().split('\n').at(-1) ?? '';
        return reject(new EngineError('companion-failed', `The companion could not compute reference logits for the parity check (exit code ${code}${last ? `: ${last.slice(0, 300)}` : ''}).`));
      }
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n').filter(Boolean);
      if (lines.length !== windows.length) return reject(new EngineError('companion-failed', `The companion returned ${lines.length} logit rows for ${windows.length} windows in the parity check.`));
      resolve(lines.map((l) => ((JSON.parse(l) as { logits: number[] | number[][] }).logits as unknown[]).flat() as number[]));
    });
    child.stdin.end(windows.map((ids) => JSON.stringify({ ids })).join('\n') + '\n');
  });
}

async function checkParity(model: LoadedModel, python: string, out: string, windows: number[][], signal: AbortSignal): Promise<ParityResult> {
  const reference = await companionLogits(python, out, windows, signal);
  const engine = await model.run(windows, ['logits'], signal);
  let worst = 0;
  engine.forEach((o, i) => {
    const got = o['logits']!.data;
    const want = reference[i]!;
    if (got.length !== want.length) {
      throw new EngineError('parity-failed', `The converted model gives ${got.length} logits for a window where PyTorch gives ${want.length}; the fine-tuned model is not installed.`);
    }
    for (let j = 0; j < got.length; j++) {
      const d = Math.abs(got[j]! - want[j]!);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
  });
  return { max_abs_diff: worst, tolerance: PARITY_TOLERANCE, windows: windows.length, passed: worst <= PARITY_TOLERANCE };
}

type CompanionFigures = Record<string, unknown> & { micro?: Record<string, number>; macro?: Record<string, number> };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The engine's and the companion's test figures side by side. */
export function compareFigures(engine: Figures, companion: CompanionFigures, precision: string): FigureAgreement {
  const compared: FigureAgreement['compared'] = {};
  if (engine.task === 'ner') {
    // the companion scores seqeval's strict IOB2 mode; the engine reports it as `strict`
    compared['f1'] = [engine.strict.f1, num(companion.micro?.['f1'])];
    compared['precision'] = [engine.strict.precision, num(companion.micro?.['precision'])];
    compared['recall'] = [engine.strict.recall, num(companion.micro?.['recall'])];
    compared['macro_f1'] = [engine.strict.macro_f1, num(companion.macro?.['f1'])];
    compared['token_accuracy'] = [engine.token_accuracy, num(companion['token_accuracy'])];
  } else {
    compared['accuracy'] = [engine.accuracy, num(companion['accuracy'])];
    compared['macro_f1'] = [engine.macro_f1, num(companion['macro_f1'])];
    compared['auroc'] = [engine.auroc, num(companion['auroc'])];
  }
  let maxDiff = 0;
  let missing = false;
  for (const [a, b] of Object.values(compared)) {
    if (a === null && b === null) continue;
    if (a === null || b === null) missing = true;
    else maxDiff = Math.max(maxDiff, Math.abs(a - b));
  }
  const tolerance = precision === 'fp32' ? FP32_FIGURE_TOLERANCE : BF16_FIGURE_TOLERANCE;
  return { max_diff: missing ? Infinity : maxDiff, tolerance, companion_precision: precision, agreed: !missing && maxDiff <= tolerance, compared };
}

function readCompanionMetrics(out: string): Record<string, unknown> {
  const file = join(out, METRICS_FILE);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new EngineError('missing-file', `${file} is missing or unreadable: ${out} is not a finished fine-tune (run it again, or continue it with --resume).`);
  }
}

function writeMetrics(out: string, metrics: Record<string, unknown>): void {
  const file = join(out, METRICS_FILE);
  const tmp = `${file}.${process.pid}.partial`;
  writeFileSync(tmp, JSON.stringify(metrics, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

function uninstall(out: string): void {
  rmSync(join(out, 'onnx'), { recursive: true, force: true });
}

export async function verifyFinetune(params: FinetuneVerifyParams, ctx: { signal: AbortSignal; progress(p: { message: string; fraction?: number }): void; log(level: 'info' | 'warn' | 'error', message: string): void }): Promise<FinetuneVerifyResult> {
  const out = params.out;
  const companionMetrics = readCompanionMetrics(out);
  const precision = typeof companionMetrics['precision'] === 'string' ? (companionMetrics['precision'] as string) : 'fp32';
  const companionTest = companionMetrics['test'] as CompanionFigures | undefined;
  ctx.progress({ message: 'Converting the fine-tuned model to ONNX' });
  const settings = {
    ...defaultEngineSettings,
    executionProvider: 'cpu' as const,
    windowTokens: params.maxTokens ?? defaultEngineSettings.windowTokens,
    windowStride: params.stride ?? defaultEngineSettings.windowStride,
    threads: params.threads ?? 0,
    // parity is proven against PyTorch's float32 logits, so the float32 graph runs here whatever the precision setting
    precision: 'fp32' as const,
    cacheDir: '',
  };
  const warnings: string[] = [];
  const model = await loadModel(out, settings, { signal: ctx.signal, log: ctx.log });
  try {
    const head = scoringHeadOf(model, undefined);
    // the split's warnings (tiny test split, labels without examples) were given when the data was prepared
    const prepared = await finetuneSplits(params, model, ctx.signal, () => undefined);
    const modelLabels = labelsOf(model);
    if (JSON.stringify(prepared.labels) !== JSON.stringify(modelLabels)) {
      throw new EngineError('bad-input', `The data's labels (${prepared.labels.join(', ')}) are not the fine-tuned model's (${modelLabels.join(', ')}): verify with the data and settings the model was trained with.`);
    }
    ctx.progress({ message: 'Checking parity with PyTorch' });
    const parity = await checkParity(model, params.python, out, parityWindows(prepared.test.flatMap((d) => d.windows.map((w) => w.ids))), ctx.signal);
    const record = (engine: Record<string, unknown>) => writeMetrics(out, { ...companionMetrics, engine: { evaluated_with: 'onnxruntime, CPU, float32', window_tokens: model.info.windowTokens, ...engine } });
    if (!parity.passed) {
      uninstall(out);
      record({ parity });
      throw new EngineError('parity-failed', `The fine-tuned model gives other logits in the engine than in PyTorch (max abs diff ${parity.max_abs_diff.toExponential(2)} on ${parity.windows} held-out windows; the limit is ${PARITY_TOLERANCE}): it is not installed. ${out} is kept for inspection; please report this.`);
    }
    ctx.progress({ message: `Scoring the ${prepared.test.length} test notes with the exported model` });
    const scored = await scoreDocuments(model, prepared.test, head, { signal: ctx.signal, progress: () => undefined });
    warnings.push(...scored.warnings);
    const agreement = compareFigures(scored.figures, companionTest ?? {}, precision);
    record({ parity, test: scored.figures, agreement });
    if (!agreement.agreed) {
      const detail = Object.entries(agreement.compared).map(([k, [a, b]]) => `${k} ${a ?? '-'} vs ${b ?? '-'}`).join(', ');
      if (precision === 'fp32') {
        uninstall(out);
        throw new EngineError('parity-failed', `The engine's test figures disagree with the companion's beyond rounding (${detail}): the fine-tuned model is not installed. ${out} is kept for inspection; please report this.`);
      }
      warnings.push(`The companion evaluated with ${precision}; its test figures differ from the engine's fp32 ones by up to ${agreement.max_diff.toFixed(4)} (${detail}). The engine's are the ones the extension gives.`);
    }
    return {
      out,
      onnxPath: model.info.onnxPath ?? join(out, 'onnx', 'model.onnx'),
      parity,
      figures: scored.figures,
      agreement,
      companion: Object.fromEntries(Object.entries(agreement.compared).map(([k, [, b]]) => [k, b])),
      warnings,
    };
  } catch (e) {
    // only a verified folder keeps its converted file: onnx/model.onnx there means parity was proven
    uninstall(out);
    throw e;
  } finally {
    await model.dispose();
  }
}
