/**
 * `cmb train` and `cmb eval`: training a task head on the frozen encoder, and
 * scoring a head on any labelled dataset. Progress and notes go to stderr; the
 * last (and only) stdout line is one JSON object with the figures, so scripts
 * read `tail -n 1`. Unknown options and bad input exit with code 2 and one line.
 *
 *   cmb train --model DIR --task ner|classify --data PATH [--data PATH...] [--dev PATH] [--test PATH] --out NAME
 *             [--epochs N] [--seed N] [--layers K] [--head linear|mlp] [--pooling cls|mean] [--lr X]
 *             [--class-weights none|balanced] [--patience N] [--report FILE] [--replace]
 *   cmb eval --model DIR [--head NAME] --data PATH [--data PATH...]
 */
import * as fs from 'node:fs';
import { directContext, type Engine } from '../engine/engine';
import type { Progress } from '../engine/protocol';
import type { DatasetProblem } from '../engine/data/types';
import type { TrainParams } from '../engine/train/protocol';
import { trainingReportMarkdown } from '../engine/train/report';
import { CliInputError, ENGINE_OPTIONS, type CliIo, type ParsedArgs } from './io';

/** What the entry point lends these commands: an engine, and loading --model with the common options. */
export interface TrainCliHooks {
  createEngine(): Engine;
  loadModel(engine: Engine, engineArgs: ParsedArgs): Promise<void>;
}

const MODEL_OPTIONS = ['model', ...ENGINE_OPTIONS];
const REPEATABLE = new Set(['data', 'dev', 'test']);

export interface Parsed {
  values: Map<string, string[]>;
  switches: Set<string>;
}

export function parse(command: string, args: readonly string[], options: readonly string[], switches: readonly string[]): Parsed {
  const values = new Map<string, string[]>();
  const on = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new CliInputError(`unexpected argument "${a}" (see cmb --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (switches.includes(name) && eq < 0) {
      on.add(name);
      continue;
    }
    if (!options.includes(name)) throw new CliInputError(`unknown option --${name} (cmb ${command} takes ${[...options, ...switches].map((o) => `--${o}`).join(', ')})`);
    const v = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new CliInputError(`--${name} needs a value`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !REPEATABLE.has(name)) throw new CliInputError(`--${name} is given twice`);
    list.push(v);
    values.set(name, list);
  }
  return { values, switches: on };
}

export function one(p: Parsed, name: string): string | undefined {
  return p.values.get(name)?.[0];
}

export function required(p: Parsed, name: string, what: string): string {
  const v = one(p, name);
  if (!v) throw new CliInputError(`--${name} ${what} is required`);
  return v;
}

export function wholeNumber(p: Parsed, name: string): number | undefined {
  const v = one(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new CliInputError(`--${name} must be a whole number`);
  return n;
}

export function choice<T extends string>(p: Parsed, name: string, allowed: readonly T[]): T | undefined {
  const v = one(p, name);
  if (v !== undefined && !allowed.includes(v as T)) throw new CliInputError(`--${name} must be ${allowed.join(' or ')}`);
  return v as T | undefined;
}

/** the common engine options, for loadModel */
function engineArgs(p: Parsed): ParsedArgs {
  const flags = new Map<string, string | true>();
  for (const o of MODEL_OPTIONS) {
    const v = one(p, o);
    if (v !== undefined) flags.set(o, v);
  }
  return { positional: [], flags };
}

function problemLine(p: DatasetProblem): string {
  return `${p.doc}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}: ${p.message}`;
}

const PROBLEM_LINES = 20;

export function printProblems(problems: readonly DatasetProblem[], io: CliIo): void {
  for (const p of problems.slice(0, PROBLEM_LINES)) io.err(`data: ${problemLine(p)}`);
  if (problems.length > PROBLEM_LINES) io.err(`data: ... and ${problems.length - PROBLEM_LINES} more problems`);
}

export function duration(s: number): string {
  return s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

/** One stderr line per phase change and per epoch; feature progress at most every few seconds. */
function progressPrinter(io: CliIo): (p: Progress) => void {
  let lastFeatures = 0;
  let lastEpoch = -1;
  return (p) => {
    const t = p.training;
    if (!t) return;
    if (t.phase === 'features') {
      const now = Date.now();
      if (now - lastFeatures < 5000 && t.windowsDone !== t.windowsTotal) return;
      lastFeatures = now;
      io.err(`features: ${t.windowsDone} of ${t.windowsTotal} windows${t.etaSeconds !== undefined && t.windowsDone !== t.windowsTotal ? `, about ${duration(t.etaSeconds)} left` : ''}`);
    } else if (t.phase === 'training' && t.loss !== undefined && t.epoch !== lastEpoch) {
      lastEpoch = t.epoch!;
      io.err(`epoch ${t.epoch}/${t.epochs}: loss ${t.loss.toFixed(4)}, dev ${t.devScore!.toFixed(4)}${t.etaSeconds ? `, at most ${duration(t.etaSeconds)} left` : ''}`);
    }
  };
}

/** The first Ctrl-C cancels the run cleanly (nothing is written); the handler goes when the run ends. */
function cancelOnInterrupt(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSigint = () => {
    io.err('cancelling...');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

export async function runTrain(args: string[], io: CliIo, hooks: TrainCliHooks): Promise<number> {
  const p = parse('train', args, [...MODEL_OPTIONS, 'task', 'data', 'dev', 'test', 'out', 'epochs', 'seed', 'layers', 'head', 'lr', 'class-weights', 'patience', 'report'], ['replace']);
  required(p, 'model', 'DIR (a model folder)');
  const task = choice(p, 'task', ['ner', 'classify'] as const);
  if (!task) throw new CliInputError('--task ner|classify is required');
  const data = p.values.get('data') ?? [];
  if (data.length === 0) throw new CliInputError('--data PATH (a labelled dataset) is required');
  const name = required(p, 'out', 'NAME (the head folder to write under DIR/heads/)');
  const lr = one(p, 'lr');
  if (lr !== undefined && !(Number(lr) > 0)) throw new CliInputError('--lr must be a positive number');
  const params: TrainParams = {
    task,
    data,
    dev: p.values.get('dev'),
    test: p.values.get('test'),
    name,
    replace: p.switches.has('replace'),
    epochs: wholeNumber(p, 'epochs'),
    seed: wholeNumber(p, 'seed'),
    layers: wholeNumber(p, 'layers'),
    head: choice(p, 'head', ['linear', 'mlp'] as const),
    pooling: task === 'classify' ? choice(p, 'pooling', ['cls', 'mean'] as const) : undefined,
    learningRate: lr !== undefined ? Number(lr) : undefined,
    classWeights: choice(p, 'class-weights', ['none', 'balanced'] as const),
    patience: wholeNumber(p, 'patience'),
  };
  const reportFile = one(p, 'report');
  const engine = hooks.createEngine();
  const interrupt = cancelOnInterrupt(io);
  try {
    await hooks.loadModel(engine, engineArgs(p));
    const r = await engine.call('train.run', params, directContext({ signal: interrupt.signal, progress: progressPrinter(io) }));
    printProblems(r.metrics.dataset.problem_list, io);
    for (const w of r.warnings) io.err(`note: ${w}`);
    if (reportFile) fs.writeFileSync(reportFile, trainingReportMarkdown(r.metrics));
    io.err(`wrote ${r.dir}`);
    io.out(JSON.stringify({ head: r.head, dir: r.dir, demo: r.metrics.demo, best_epoch: r.metrics.best_epoch, split: r.metrics.split, figures: r.metrics.test }));
    return 0;
  } finally {
    interrupt.dispose();
    await engine.dispose();
  }
}

export async function runEval(args: string[], io: CliIo, hooks: TrainCliHooks): Promise<number> {
  const p = parse('eval', args, [...MODEL_OPTIONS, 'head', 'data'], []);
  required(p, 'model', 'DIR (a model folder)');
  // without --head: the model's own head (a fine-tuned checkpoint, cmb finetune's output)
  const head = one(p, 'head');
  const data = p.values.get('data') ?? [];
  if (data.length === 0) throw new CliInputError('--data PATH (a labelled dataset) is required');
  for (const d of data) if (!fs.existsSync(d)) throw new CliInputError(`the dataset ${d} does not exist`);
  const engine = hooks.createEngine();
  const interrupt = cancelOnInterrupt(io);
  try {
    await hooks.loadModel(engine, engineArgs(p));
    const r = await engine.call('train.evaluate', { head, data }, directContext({ signal: interrupt.signal }));
    printProblems(r.problems, io);
    for (const w of r.warnings) io.err(`note: ${w}`);
    io.out(JSON.stringify({ head: r.head, demo: r.demo, figures: r.figures }));
    return 0;
  } finally {
    interrupt.dispose();
    await engine.dispose();
  }
}
