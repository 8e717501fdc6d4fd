/**
 * A full fine-tune from start to finish, the same for `cmb finetune` and the
 * VS Code command:
 *
 * 1. find an interpreter with PyTorch (and CUDA when asked for);
 * 2. the engine prepares the companion's input file (finetune.prepare);
 * 3. the companion trains in a child process of the caller (never the engine
 *    worker: it is a separate program), its progress lines passed on; cancel
 *    is SIGINT, after which it saves a checkpoint and resume continues it;
 * 4. the engine converts the result, proves parity and scores the test split
 *    (finetune.verify).
 *
 * The engine halves arrive through `FinetuneEngineCalls`, so this file loads
 * neither onnxruntime nor the worker: the CLI calls its engine directly, the
 * extension through the engine client.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError } from '../errors';
import { findPython, type FindPythonOptions, type FoundPython } from './python';
import { companionFailure, startCompanion, type CompanionEvent, type DoneEvent } from './companion';
import type { FinetuneDataParams, FinetunePrepareParams, FinetunePrepareResult, FinetuneVerifyParams, FinetuneVerifyResult } from './protocol';

export const DEFAULT_SEED = 13;

export interface FinetuneRequest extends Omit<FinetuneDataParams, 'seed'> {
  /** the model folder to fine-tune */
  model: string;
  /** the output folder: new or empty, or (resume) the interrupted run's */
  out: string;
  seed?: number;
  epochs?: number;
  lr?: number;
  batch?: number;
  layersTrainable?: number;
  /** auto: CUDA when this PyTorch can use it, else the CPU */
  device?: 'auto' | 'cuda' | 'cpu';
  /** an interpreter to use */
  python?: string;
  /** use only `python` (a path the user set), never fall back to discovery */
  pythonOnly?: boolean;
  resume?: boolean;
  /** keep the input file (token ids of the notes) after the run, for debugging */
  keepData?: boolean;
  /** torch CPU threads (0: torch decides) */
  threads?: number;
  /** the companion also checkpoints every N optimizer steps (default: after each epoch and every 10 minutes) */
  saveEverySteps?: number;
  /** the sentence that says how to resume, for messages ("Run it again with --resume.") */
  resumeHint: string;
}

export interface FinetuneEngineCalls {
  prepare(params: FinetunePrepareParams, signal: AbortSignal): Promise<FinetunePrepareResult>;
  verify(params: FinetuneVerifyParams, signal: AbortSignal, progress: (message: string) => void): Promise<FinetuneVerifyResult>;
}

export interface FinetuneObserver {
  /** a phase begins: checking Python, preparing, training, converting, scoring */
  phase(message: string): void;
  python?(found: FoundPython): void;
  prepared?(r: FinetunePrepareResult): void;
  started?(pid: number | undefined): void;
  /** each line of the companion's progress protocol */
  event?(e: CompanionEvent): void;
  stderr?(line: string): void;
}

export interface FinetuneOutcome {
  out: string;
  python: FoundPython;
  /** absent when the run resumed a folder whose training had finished */
  prepared?: FinetunePrepareResult;
  done?: DoneEvent;
  verified: FinetuneVerifyResult;
  /** the input file, when kept */
  dataFile?: string;
}

/** What --resume finds in OUTDIR. */
export function outputState(out: string): 'absent' | 'empty' | 'checkpoint' | 'finished' | 'other' {
  if (!existsSync(out)) return 'absent';
  const entries = readdirSync(out);
  if (entries.length === 0) return 'empty';
  if (existsSync(join(out, 'checkpoint', 'state.pt'))) return 'checkpoint';
  // a run killed before its first checkpoint landed leaves checkpoint/ with temporary files only: the companion starts afresh there
  if (entries.length === 1 && entries[0] === 'checkpoint' && readdirSync(join(out, 'checkpoint')).every((f) => f.endsWith('.partial'))) return 'empty';
  if (existsSync(join(out, 'config.json')) && existsSync(join(out, 'metrics.json')) && existsSync(join(out, 'model.safetensors'))) return 'finished';
  return 'other';
}

function companionArgs(req: FinetuneRequest, dataFile: string, seed: number): string[] {
  const args = ['train', '--data', dataFile, '--model', resolve(req.model), '--out', resolve(req.out), '--seed', String(seed), '--device', req.device ?? 'auto'];
  if (req.epochs !== undefined) args.push('--epochs', String(req.epochs));
  if (req.lr !== undefined) args.push('--lr', String(req.lr));
  if (req.batch !== undefined) args.push('--batch', String(req.batch));
  if (req.layersTrainable !== undefined) args.push('--layers-trainable', String(req.layersTrainable));
  if (req.threads) args.push('--threads', String(req.threads));
  if (req.saveEverySteps) args.push('--save-every-steps', String(req.saveEverySteps));
  if (req.resume) args.push('--resume');
  return args;
}

export async function runFinetune(
  req: FinetuneRequest,
  engine: FinetuneEngineCalls,
  observer: FinetuneObserver,
  signal: AbortSignal,
  find: (o: FindPythonOptions) => Promise<FoundPython> = findPython,
): Promise<FinetuneOutcome> {
  const out = resolve(req.out);
  const seed = req.seed ?? DEFAULT_SEED;
  const state = outputState(out);
  if (!req.resume && state !== 'absent' && state !== 'empty') {
    throw new EngineError('bad-input', state === 'checkpoint'
      ? `The output folder ${out} holds an unfinished fine-tune; ${req.resumeHint.replace(/^\w/, (c) => c.toLowerCase())}`
      : `The output folder ${out} is not empty; choose a new output folder.`);
  }
  if (req.resume && state !== 'checkpoint' && state !== 'finished') {
    throw new EngineError('bad-input', `There is nothing to resume in ${out} (no checkpoint of an interrupted fine-tune); start without resume.`);
  }
  const train = state !== 'finished';

  observer.phase('Checking Python and PyTorch');
  const python = await find({
    explicit: req.python || undefined,
    ...(req.python && req.pythonOnly ? { candidates: [] } : {}),
    requireCuda: req.device === 'cuda',
  });
  observer.python?.(python);
  if (signal.aborted) throw new EngineError('cancelled', 'Fine-tuning was cancelled before training started; nothing was written.');
  const data: FinetuneDataParams = { task: req.task, data: req.data, documents: req.documents, dev: req.dev, test: req.test, seed, maxTokens: req.maxTokens, stride: req.stride };

  let prepared: FinetunePrepareResult | undefined;
  let done: DoneEvent | undefined;
  let keptData: string | undefined;
  if (train) {
    observer.phase('Preparing the labelled notes');
    prepared = await engine.prepare({ ...data, model: req.model }, signal);
    observer.prepared?.(prepared);
    try {
      observer.phase(req.resume ? 'Resuming the fine-tune' : 'Fine-tuning');
      const run = startCompanion({ python: python.executable, args: companionArgs(req, prepared.dataFile, seed), onEvent: (e) => observer.event?.(e), onStderr: (l) => observer.stderr?.(l) });
      observer.started?.(run.pid);
      const onAbort = () => run.interrupt();
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) run.interrupt();
      const exit = await run.exit.finally(() => signal.removeEventListener('abort', onAbort));
      if (exit.code !== 0 || !exit.done) throw companionFailure(exit, req.resumeHint);
      done = exit.done;
    } finally {
      if (req.keepData) keptData = prepared.dataFile;
      else rmSync(prepared.workDir, { recursive: true, force: true });
    }
  }

  let verified: FinetuneVerifyResult;
  try {
    verified = await engine.verify({ ...data, out, python: python.executable, threads: req.threads }, signal, (m) => observer.phase(m));
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') {
      throw new EngineError('interrupted', `Fine-tuning finished, but its verification was cancelled; the model is not installed yet. ${req.resumeHint}`);
    }
    throw e;
  }
  return { out, python, prepared, done, verified, ...(keptData ? { dataFile: keptData } : {}) };
}
