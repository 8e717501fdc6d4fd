/**
 * `cmb finetune`: the whole encoder fine-tuned by the PyTorch companion, with
 * the engine preparing its data and proving the result (engine/finetune/run.ts).
 * Progress goes to stderr (the companion's info lines, a progress line at most
 * every few seconds, a line per evaluation); the last stdout line is one JSON
 * object with OUTDIR and the test figures. Ctrl-C stops training after a
 * checkpoint (exit 130); `--resume` continues it.
 *
 *   cmb finetune --model DIR --task ner|classify --data PATH... [--dev PATH] [--test PATH] --out OUTDIR
 *     [--epochs N] [--lr X] [--batch N] [--max-tokens N] [--layers-trainable K] [--python EXE]
 *     [--device cuda|cpu] [--seed N] [--resume] [--keep-data]
 */
import * as fs from 'node:fs';
import { directContext, type Engine } from '../engine/engine';
import { EngineError } from '../engine/errors';
import type { CompanionEvent, EvalEvent, StepEvent } from '../engine/finetune/companion';
import type { FinetuneVerifyResult } from '../engine/finetune/protocol';
import { runFinetune, type FinetuneEngineCalls } from '../engine/finetune/run';
import { CliInputError, type CliIo } from './io';
import { choice, duration, one, parse, printProblems, required, wholeNumber } from './train';

export interface FinetuneCliHooks {
  createEngine(): Engine;
}

const OPTIONS = ['model', 'task', 'data', 'dev', 'test', 'out', 'epochs', 'lr', 'batch', 'max-tokens', 'layers-trainable', 'python', 'device', 'seed'];
const SWITCHES = ['resume', 'keep-data'];
/** a progress line at most this often (every eval and phase is printed at once) */
const STEP_LINE_MS = 5000;

function positiveWhole(p: ReturnType<typeof parse>, name: string): number | undefined {
  const n = wholeNumber(p, name);
  if (n !== undefined && n < 1) throw new CliInputError(`--${name} must be at least 1`);
  return n;
}

const fixed = (x: unknown, digits = 4) => (typeof x === 'number' ? x.toFixed(digits) : '-');

function figureLine(f: FinetuneVerifyResult['figures']): string {
  return f.task === 'ner'
    ? `entity F1 ${fixed(f.f1)} (precision ${fixed(f.precision)}, recall ${fixed(f.recall)}; strict IOB2 F1 ${fixed(f.strict.f1)}) on ${f.documents} notes`
    : `macro-F1 ${fixed(f.macro_f1)}, accuracy ${fixed(f.accuracy)}${f.auroc !== null ? `, AUROC ${fixed(f.auroc)}` : ''} on ${f.documents} notes`;
}

/** Companion events -> stderr lines: info and evaluations at once, steps throttled. */
function eventPrinter(io: CliIo): (e: CompanionEvent) => void {
  let lastStep = 0;
  return (e) => {
    if (e.event === 'info' && typeof e['message'] === 'string') io.err(e['message']);
    else if (e.event === 'step') {
      const s = e as unknown as StepEvent;
      const now = Date.now();
      if (now - lastStep < STEP_LINE_MS && s.step !== 1) return;
      lastStep = now;
      const rate = s.tokens_per_s !== null ? `, ${Math.round(s.tokens_per_s).toLocaleString('en-US')} tokens/s` : '';
      const eta = s.eta_s !== null && s.step < s.total_steps ? `, about ${duration(s.eta_s)} left` : '';
      io.err(`epoch ${s.epoch}, step ${s.step}/${s.total_steps}: loss ${fixed(s.loss)}, lr ${s.lr.toExponential(2)}${rate}${eta}`);
    } else if (e.event === 'eval') {
      const v = e as unknown as EvalEvent;
      const what = v.split === 'dev' && !v.final ? `epoch ${v.epoch}: dev` : `${v.split} (companion, best epoch ${v.epoch})`;
      io.err(`${what} ${'accuracy' in v.metrics ? 'macro-F1' : 'entity F1'} ${fixed(v.f1)}${v.best && !v.final ? ' (best so far)' : ''}`);
    } else if (e.event === 'stopped' && typeof e['message'] === 'string') io.err(e['message']);
  };
}

export async function runFinetuneCommand(args: string[], io: CliIo, hooks: FinetuneCliHooks): Promise<number> {
  const p = parse('finetune', args, OPTIONS, SWITCHES);
  const model = required(p, 'model', 'DIR (the model folder to fine-tune)');
  const task = choice(p, 'task', ['ner', 'classify'] as const);
  if (!task) throw new CliInputError('--task ner|classify is required');
  const data = p.values.get('data') ?? [];
  if (data.length === 0) throw new CliInputError('--data PATH (a labelled dataset) is required');
  const out = required(p, 'out', 'OUTDIR (the folder for the fine-tuned model)');
  for (const d of [...data, ...(p.values.get('dev') ?? []), ...(p.values.get('test') ?? [])]) if (!fs.existsSync(d)) throw new CliInputError(`the dataset ${d} does not exist`);
  if (!fs.existsSync(model)) throw new CliInputError(`the model folder ${model} does not exist`);
  const lr = one(p, 'lr');
  if (lr !== undefined && !(Number(lr) > 0 && Number.isFinite(Number(lr)))) throw new CliInputError('--lr must be a positive number');
  const maxTokens = wholeNumber(p, 'max-tokens');
  if (maxTokens !== undefined && maxTokens < 3) throw new CliInputError('--max-tokens must be at least 3 ([CLS], one token, [SEP])');
  const device = choice(p, 'device', ['cuda', 'cpu'] as const);
  const resume = p.switches.has('resume');

  const engine = hooks.createEngine();
  const calls: FinetuneEngineCalls = {
    prepare: (params, signal) => engine.call('finetune.prepare', params, directContext({ signal })),
    verify: (params, signal, progress) => engine.call('finetune.verify', params, directContext({ signal, progress: (pr) => progress(pr.message) })),
  };
  const ac = new AbortController();
  const onSigint = () => {
    io.err('stopping: the companion saves a checkpoint first...');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const printEvent = eventPrinter(io);
  let lastPhase = '';
  try {
    const r = await runFinetune(
      {
        model,
        out,
        task,
        data,
        dev: p.values.get('dev'),
        test: p.values.get('test'),
        seed: wholeNumber(p, 'seed'),
        epochs: positiveWhole(p, 'epochs'),
        lr: lr !== undefined ? Number(lr) : undefined,
        batch: positiveWhole(p, 'batch'),
        maxTokens,
        layersTrainable: wholeNumber(p, 'layers-trainable'),
        device,
        python: one(p, 'python'),
        pythonOnly: one(p, 'python') !== undefined,
        resume,
        keepData: p.switches.has('keep-data'),
        resumeHint: `Continue with the same command and --resume (--out ${out}).`,
      },
      calls,
      {
        phase: (m) => {
          // conversion progress repeats its message with percentages: one line per distinct message
          const key = m.replace(/\s*\d+%$/, '');
          if (key !== lastPhase) io.err(`${m}...`);
          lastPhase = key;
        },
        python: (py) => io.err(`python: ${py.executable} (Python ${py.python}, PyTorch ${py.torch}, numpy ${py.numpy}); CUDA ${py.cuda ? 'available' : `not available (${py.cudaReason ?? 'unknown reason'})`}`),
        prepared: (r) => {
          printProblems(r.problems, io);
          for (const w of r.warnings) io.err(`note: ${w}`);
          const sizes = Object.entries(r.splits).map(([name, s]) => `${name} ${s.documents} notes (${s.windows} windows, ${s.tokens} tokens)`).join(', ');
          io.err(`data: ${sizes}; ${r.labels.length} labels; windows of ${r.windowTokens} tokens, stride ${r.stride}`);
        },
        event: printEvent,
        stderr: (line) => {
          if (process.env['CMB_VERBOSE']) io.err(`companion: ${line}`);
        },
      },
      ac.signal,
    );
    const v = r.verified;
    io.err(`parity: max abs diff ${v.parity.max_abs_diff.toExponential(2)} between PyTorch and ONNX logits on ${v.parity.windows} held-out windows (limit ${v.parity.tolerance})`);
    io.err(`test (engine, as the extension runs it): ${figureLine(v.figures)}; the companion's agree within ${v.agreement.tolerance < 1e-3 ? 'rounding' : v.agreement.tolerance} (largest difference ${v.agreement.max_diff.toExponential(1)})`);
    for (const w of v.warnings) io.err(`note: ${w}`);
    if (r.dataFile) io.err(`kept the data file ${r.dataFile} (token ids of the notes: delete it when done)`);
    io.err(`wrote ${r.out}; use it as a model folder (clinicalModernbert.modelPath, or cmb ... --model ${r.out})`);
    io.out(JSON.stringify({
      out: r.out,
      task,
      figures: v.figures,
      companion: v.companion,
      agreement: { max_diff: v.agreement.max_diff, tolerance: v.agreement.tolerance, precision: v.agreement.companion_precision },
      parity: v.parity,
      ...(r.done ? { best_epoch: r.done.best_epoch, epochs_run: r.done.epochs_run, stopped_early: r.done.stopped_early, steps: r.done.steps, seconds: Math.round(r.done.seconds * 10) / 10 } : {}),
      python: r.python.executable,
    }));
    return 0;
  } catch (e) {
    if (e instanceof EngineError && e.code === 'interrupted') {
      io.err(`cmb finetune: ${e.message}`);
      return 130;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await engine.dispose();
  }
}
