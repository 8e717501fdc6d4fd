/**
 * Runs the PyTorch fine-tuning companion (`python -m cmb_companion ...`) as a
 * child process and reads its progress protocol: one JSON object per line on
 * stdout (companion/README.md). Nothing here blocks: the extension host and
 * the CLI both drive it with callbacks, and cancel is SIGINT, after which the
 * companion saves a checkpoint and exits with 130.
 *
 * Exit codes: 0 done; 2 bad input or environment; 3 out of memory; 130
 * interrupted after a checkpoint; 1 an unexpected failure (a bug).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { EngineError } from '../errors';

export const EXIT_INTERRUPTED = 130;
export const EXIT_OUT_OF_MEMORY = 3;

/** A line of the progress protocol; fields may be added, readers ignore unknown ones. */
export interface CompanionEvent {
  event: 'info' | 'step' | 'eval' | 'checkpoint' | 'done' | 'stopped' | 'error' | string;
  [field: string]: unknown;
}

export interface StepEvent {
  event: 'step';
  step: number;
  epoch: number;
  loss: number | null;
  lr: number;
  tokens_per_s: number | null;
  eta_s: number | null;
  total_steps: number;
}

export interface EvalEvent {
  event: 'eval';
  split: 'dev' | 'test';
  epoch: number;
  step: number;
  f1: number | null;
  best: boolean;
  final?: boolean;
  metrics: Record<string, unknown>;
}

export interface DoneEvent {
  event: 'done';
  out: string;
  best_epoch: number;
  epochs_run: number;
  stopped_early: boolean;
  steps: number;
  seconds: number;
  metrics: Record<string, Record<string, number | null>>;
}

export interface CompanionExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  done?: DoneEvent;
  /** the companion's error event, when it sent one */
  error?: { message: string; code: string };
  /** it stopped on SIGINT/SIGTERM after writing a checkpoint */
  stopped: boolean;
  /** the last lines of stderr (warnings, or a bug's traceback), for the log */
  stderrTail: string[];
}

export interface CompanionRun {
  pid: number | undefined;
  /** asks the companion to stop: it checkpoints at the next micro-batch boundary and exits 130 */
  interrupt(): void;
  /** ends it at once (no checkpoint beyond the last one written) */
  kill(): void;
  exit: Promise<CompanionExit>;
}

const STDERR_LINES_KEPT = 30;

/**
 * The folder that holds the `cmb_companion` package: $CMB_COMPANION_DIR, else
 * `companion/` beside the bundle (dist/ in the package and the VSIX) or above
 * the sources (tests run from src/).
 */
export function companionDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env['CMB_COMPANION_DIR'];
  if (given) return resolve(given);
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'companion');
    if (existsSync(join(candidate, 'cmb_companion', '__main__.py'))) return candidate;
    dir = dirname(dir);
  }
  throw new EngineError('missing-file', 'The fine-tuning companion (the companion/ folder with cmb_companion) is missing from this installation; reinstall the extension, or set CMB_COMPANION_DIR to a checkout\'s companion folder.');
}

/** Environment for the companion: its package importable, bytecode not written (the folder may be read-only), output unbuffered. */
export function companionEnv(dir: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = env['PYTHONPATH'] ? `${dir}${delimiter}${env['PYTHONPATH']}` : dir;
  return { ...env, PYTHONPATH: path, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
}

/** Splits a stream into lines as they arrive. */
function lineReader(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, nl).replace(/\r$/, ''));
        rest = rest.slice(nl + 1);
      }
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

export interface StartOptions {
  /** the interpreter (FoundPython.executable) */
  python: string;
  /** arguments after `-m cmb_companion` */
  args: string[];
  onEvent(e: CompanionEvent): void;
  /** each stderr line (warnings; never note text) */
  onStderr?(line: string): void;
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

export function startCompanion(opts: StartOptions): CompanionRun {
  const dir = opts.dir ?? companionDir(opts.env);
  const child: ChildProcess = spawn(opts.python, ['-m', 'cmb_companion', ...opts.args], {
    cwd: dir,
    env: companionEnv(dir, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const stderrTail: string[] = [];
  let done: DoneEvent | undefined;
  let error: { message: string; code: string } | undefined;
  let stopped = false;
  const out = lineReader((line) => {
    if (!line.trim()) return;
    let e: CompanionEvent;
    try {
      e = JSON.parse(line) as CompanionEvent;
    } catch {
      return; // the protocol says stdout holds JSON only; a stray print is ignored
    }
    if (!e || typeof e !== 'object' || typeof e.event !== 'string') return;
    if (e.event === 'done') done = e as unknown as DoneEvent;
    else if (e.event === 'error') error = { message: String(e['message'] ?? ''), code: String(e['code'] ?? 'internal') };
    else if (e.event === 'stopped') stopped = true;
    opts.onEvent(e);
  });
  const err = lineReader((line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
    opts.onStderr?.(line);
  });
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => err.push(c));
  const exit = new Promise<CompanionExit>((resolveExit) => {
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (spawnError && code === null && signal === null) {
        stderrTail.push(`could not start ${opts.python}: ${(spawnError as NodeJS.ErrnoException).code ?? spawnError.message}`);
      }
      resolveExit({ code, signal, done, error, stopped, stderrTail });
    });
  });
  return {
    pid: child.pid,
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    exit,
  };
}

/**
 * Why a companion run did not finish, as one EngineError: its own error event
 * (bad data, out of memory), an interruption (resumable), or how it ended.
 */
export function companionFailure(r: CompanionExit, resumeHint: string): EngineError {
  if (r.stopped || r.code === EXIT_INTERRUPTED) return new EngineError('interrupted', `Fine-tuning was stopped; a checkpoint is saved. ${resumeHint}`);
  if (r.error) {
    // the companion's own CLI has --grad-accum; the extension and cmb finetune keep the batch as given
    if (r.error.code === 'out-of-memory' || r.code === EXIT_OUT_OF_MEMORY) return new EngineError('out-of-memory', r.error.message.replace(/ and raise --grad-accum to keep the effective batch/, ''));
    if (r.error.code === 'no-cuda') return new EngineError('no-cuda', r.error.message);
    if (r.error.code === 'internal') {
      const last = r.stderrTail.filter((l) => l.trim()).at(-1);
      return new EngineError('companion-failed', `${r.error.message}${last ? ` Last line: ${last.trim().slice(0, 300)}` : ''}`);
    }
    return new EngineError(r.error.code === 'bad-input' || r.error.code === 'bad-data' ? 'bad-input' : 'companion-failed', r.error.message);
  }
  if (r.code === EXIT_OUT_OF_MEMORY) return new EngineError('out-of-memory', 'The fine-tuning companion ran out of memory; lower the batch size.');
  if (r.signal === 'SIGKILL') {
    return new EngineError('companion-failed', `The fine-tuning companion was killed (SIGKILL; the system may have run out of memory). The last checkpoint is kept. ${resumeHint}`);
  }
  if (r.signal) return new EngineError('companion-failed', `The fine-tuning companion ended on signal ${r.signal}. ${resumeHint}`);
  const last = r.stderrTail.filter((l) => l.trim()).at(-1);
  return new EngineError('companion-failed', `The fine-tuning companion ended with exit code ${r.code} without finishing${last ? `: ${last.trim().slice(0, 300)}` : ''}.`);
}
