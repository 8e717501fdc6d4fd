/**
 * `cmb ner`, `cmb assert`, `cmb classify`: the task handlers without VS Code,
 * one JSON line in, one JSON line out. Bad input stops the run with exit code
 * 2 and one line naming the input line; with --keep-going a bad line gets
 * {"error": "..."} on its output line instead, the run goes on, and the exit
 * code is 2 at the end if any line failed. Engine errors exit 1.
 *
 *   cmb ner [--model DIR [--allow-demo] [--head NAME]] [--lexicon DIR | --no-default-lexicon] [--merge modelFirst|lexiconFirst|modelOnly|lexiconOnly] [--assertion-window N] [--keep-going]
 *       stdin {"text"} -> stdout [{"start","end","type","score","negated","uncertain","historical","hypothetical","experiencer","source"}]
 *   cmb assert [--assertion-window N] [--keep-going]
 *       stdin {"text","start","end"} -> stdout {"negated","uncertain","historical","hypothetical","experiencer"}
 *   cmb classify --model DIR [--head NAME] [--keep-going]
 *       stdin {"text"} -> stdout {"label","scores"}
 *
 * `--help` prints a command's usage. The engine's common options (--provider,
 * --precision, --threads, --window, --stride, --batch, --batch-tokens, --pooling,
 * --cache) are accepted and left to the loadModel hook, which receives every
 * argument.
 */
import { EngineError } from '../engine/errors';
import { defaultEngineSettings } from '../engine/coreProtocol';
import type { EngineHost, LoadedModel } from '../engine/host';
import type { RequestContext } from '../engine/handlers';
import { AssertionContext } from '../engine/tasks/assertion';
import { createTaskHandlers } from '../engine/tasks/handlers';
import type { MergeMode } from '../engine/tasks/lexicon';
import { CliInputError, ENGINE_OPTIONS } from './io';

/** The CLI's usual io (stdin, out, err) plus the hook that loads a model. */
export interface TaskCliIO {
  /** JSON lines, UTF-8 */
  stdin: NodeJS.ReadableStream;
  /** one line to stdout */
  out(line: string): void;
  /** one line to stderr */
  err(line: string): void;
  /**
   * HOOK for the CLI entry: loads a model folder (config, tokenizer, ONNX) as
   * the worker would; `args` are all of the command's arguments, for the
   * engine's common options.
   */
  loadModel(dir: string, args: readonly string[]): Promise<LoadedModel>;
}

/** exit codes */
const OK = 0;
const FAILED = 1;
const BAD_INPUT = 2;

class UsageError extends Error {}

interface Flags {
  model?: string;
  lexicon?: string;
  merge?: MergeMode;
  'assertion-window'?: number;
  /** run a demo or random-weight model's NER anyway (plumbing checks) */
  'allow-demo'?: boolean;
  /** a head folder (heads/NAME) beside the encoder */
  head?: string;
  /** a bad input line gets an {"error"} output line and the run goes on */
  'keep-going'?: boolean;
  /** no built-in clinical lexicon when no --lexicon folder is given */
  'no-default-lexicon'?: boolean;
}

const USAGE: Record<string, string> = {
  ner: `usage: cmb ner [--model DIR [--allow-demo] [--head NAME]] [--lexicon DIR | --no-default-lexicon] [--merge modelFirst|lexiconFirst|modelOnly|lexiconOnly] [--assertion-window N] [--keep-going]
  stdin: one {"text": "..."} per line
  stdout: per line, the entity spans [{"start","end","type","score","negated","uncertain","historical","hypothetical","experiencer","source"}]
  terms come from the built-in clinical lexicon (problem, drug, test, procedure, anatomy) unless --lexicon DIR
  (your term lists, one file per type) replaces it or --no-default-lexicon turns it off
  --keep-going: a bad line gets {"error": "..."} and the run goes on (exit code 2 at the end)`,
  assert: `usage: cmb assert [--assertion-window N] [--keep-going]
  stdin: one {"text": "...", "start": N, "end": N} per line (UTF-16 offsets of the entity, on word boundaries)
  stdout: per line, {"negated","uncertain","historical","hypothetical","experiencer"}
  --assertion-window N: words allowed between a trigger ("denies", "history of") and the entity (default 8)
  --keep-going: a bad line gets {"error": "..."} and the run goes on (exit code 2 at the end)`,
  classify: `usage: cmb classify --model DIR [--head NAME] [--keep-going]
  stdin: one {"text": "..."} per line
  stdout: per line, {"label","scores"}
  --keep-going: a bad line gets {"error": "..."} and the run goes on (exit code 2 at the end)`,
};

/** `--help` anywhere in a command's arguments */
class HelpAsked extends Error {}

const MERGE_MODES: readonly MergeMode[] = ['modelFirst', 'lexiconFirst', 'modelOnly', 'lexiconOnly'];

function parseFlags(command: string, args: readonly string[], allowed: ReadonlyArray<keyof Flags>): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.replace(/^--/, '') as keyof Flags;
    if (a.startsWith('--') && allowed.includes('model') && ENGINE_OPTIONS.includes(name)) {
      i++;
      continue;
    }
    if (a === '--help' || a === '-h') throw new HelpAsked();
    if ((name === 'allow-demo' || name === 'keep-going' || name === 'no-default-lexicon') && allowed.includes(name)) {
      flags[name] = true;
      continue;
    }
    if (!a.startsWith('--') || !allowed.includes(name)) throw new UsageError(`cmb ${command}: unknown argument "${a}" (accepted: ${allowed.map((f) => `--${f}`).join(', ')}).`);
    const value = args[++i];
    if (value === undefined) throw new UsageError(`cmb ${command}: ${a} needs a value.`);
    if (name === 'assertion-window') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`cmb ${command}: --assertion-window must be a whole number of words, 0 or more.`);
      flags['assertion-window'] = n;
    } else if (name === 'merge') {
      if (!MERGE_MODES.includes(value as MergeMode)) throw new UsageError(`cmb ${command}: --merge must be one of ${MERGE_MODES.join(', ')}.`);
      flags.merge = value as MergeMode;
    } else if (name === 'model' || name === 'lexicon' || name === 'head') flags[name] = value;
  }
  return flags;
}

/** the host the handlers see in a CLI run: one model (or none), logs to stderr */
function cliHost(model: LoadedModel | undefined, io: TaskCliIO): EngineHost {
  return {
    settings: () => defaultEngineSettings,
    model: () => {
      if (!model) throw new EngineError('not-loaded', 'No model is loaded: pass --model DIR.');
      return model;
    },
    storageDir: () => process.cwd(),
    log: (level, message) => {
      if (level !== 'info') io.err(`${level}: ${message}`);
    },
  };
}

function requestContext(): RequestContext {
  return { signal: new AbortController().signal, progress: () => {}, log: () => {}, transfer: () => {} };
}

/** stdin split into lines (UTF-8; a trailing \r and a leading byte-order mark dropped) */
async function* stdinLines(stdin: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let first = true;
  const clean = (line: string) => {
    if (first && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    first = false;
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  for await (const chunk of stdin) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      yield clean(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  }
  pending += decoder.decode();
  if (pending !== '') yield clean(pending);
}

/** Each non-blank input line parsed as a JSON object, or why it is not one; the line number travels with it. */
async function* jsonLines(io: TaskCliIO): AsyncGenerator<{ n: number; value?: Record<string, unknown>; bad?: BadLine }> {
  let n = 0;
  for await (const line of stdinLines(io.stdin)) {
    n++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      yield { n, bad: new BadLine(n, 'not valid JSON') };
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) yield { n, bad: new BadLine(n, 'not a JSON object') };
    else yield { n, value: value as Record<string, unknown> };
  }
}

/**
 * Runs `handle` on each input line. A bad line (BadLine, or the engine's
 * bad-input) stops the run, or with --keep-going is answered {"error"} on its
 * output line and counted.
 */
async function eachLine(
  io: TaskCliIO,
  keepGoing: boolean,
  expected: string,
  handle: (n: number, value: Record<string, unknown>) => Promise<string>,
): Promise<void> {
  let failed = 0;
  let lines = 0;
  for await (const { n, value, bad } of jsonLines(io)) {
    lines++;
    let out: string;
    try {
      if (bad) throw bad;
      out = await handle(n, value!);
    } catch (e) {
      const why = e instanceof BadLine ? e : e instanceof EngineError && e.code === 'bad-input' ? new BadLine(n, e.message.replace(/\.$/, '')) : undefined;
      if (!why || !keepGoing) throw why ?? e;
      failed++;
      out = JSON.stringify({ error: `input line ${why.line}: ${why.why} (expected ${expected}).` });
    }
    io.out(out);
  }
  if (failed > 0) throw new LinesFailed(failed, lines);
}

/** --keep-going finished with some lines answered by an error */
class LinesFailed extends Error {
  constructor(
    readonly failed: number,
    readonly lines: number,
  ) {
    super(`${failed} of ${lines} input lines failed`);
  }
}

class BadLine extends Error {
  constructor(
    readonly line: number,
    readonly why: string,
  ) {
    super(why);
  }
}

function textOf(n: number, v: Record<string, unknown>): string {
  if (typeof v['text'] !== 'string') throw new BadLine(n, '"text" must be a string');
  return v['text'];
}

async function guarded(command: string, expected: string, io: TaskCliIO, body: () => Promise<void>): Promise<number> {
  try {
    await body();
    return OK;
  } catch (e) {
    if (e instanceof HelpAsked) {
      io.out(USAGE[command]!);
      return OK;
    }
    if (e instanceof UsageError) {
      io.err(e.message);
      return BAD_INPUT;
    }
    if (e instanceof LinesFailed) {
      io.err(`cmb ${command}: ${e.failed} of ${e.lines} input lines failed; their output lines hold {"error": ...}.`);
      return BAD_INPUT;
    }
    if (e instanceof BadLine) {
      io.err(`cmb ${command}: input line ${e.line}: ${e.why} (expected ${expected}).`);
      return BAD_INPUT;
    }
    // a bad value of a common option (--provider, --precision, --threads), found by the model loader
    if ((e instanceof EngineError && e.code === 'bad-input') || e instanceof CliInputError) {
      io.err(`cmb ${command}: ${e.message}`);
      return BAD_INPUT;
    }
    io.err(`cmb ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return FAILED;
  }
}

export function runNer(args: readonly string[], io: TaskCliIO): Promise<number> {
  return guarded('ner', '{"text": "..."}', io, async () => {
    const flags = parseFlags('ner', args, ['model', 'lexicon', 'merge', 'assertion-window', 'allow-demo', 'head', 'keep-going', 'no-default-lexicon']);
    if (flags.lexicon && flags['no-default-lexicon']) throw new UsageError('cmb ner: --lexicon DIR already replaces the built-in lexicon; drop --no-default-lexicon.');
    if (!flags.model && !flags.lexicon && flags['no-default-lexicon']) throw new UsageError('cmb ner: with --no-default-lexicon, pass --model DIR (a token-classification checkpoint) or --lexicon DIR (term lists).');
    const model = flags.model ? await io.loadModel(flags.model, args) : undefined;
    const handlers = createTaskHandlers(cliHost(model, io));
    await handlers['lexicon.load']({ folder: flags.lexicon ?? '', builtIn: !flags['no-default-lexicon'] }, requestContext());
    let warned = false;
    await eachLine(io, flags['keep-going'] === true, '{"text": "..."}', async (n, value) => {
      const text = textOf(n, value);
      const r = await handlers['ner.tag']({ text, merge: flags.merge, windowWords: flags['assertion-window'], useModel: model !== undefined, allowDemo: flags['allow-demo'], head: flags.head }, requestContext());
      if (r.notice && model && !warned) {
        io.err(`note: ${r.notice}`);
        warned = true;
      }
      return JSON.stringify(r.spans.map((s) => ({ start: s.start, end: s.end, type: s.type, score: s.score, negated: s.negated, uncertain: s.uncertain, historical: s.historical, hypothetical: s.hypothetical, experiencer: s.experiencer, source: s.source })));
    });
  });
}

export function runAssert(args: readonly string[], io: TaskCliIO): Promise<number> {
  return guarded('assert', '{"text": "...", "start": N, "end": N}', io, async () => {
    const flags = parseFlags('assert', args, ['assertion-window', 'keep-going']);
    // batch files repeat one note for many entities: keep the last note's prepared context
    let last: { text: string; ctx: AssertionContext } | undefined;
    await eachLine(io, flags['keep-going'] === true, '{"text": "...", "start": N, "end": N}', async (n, value) => {
      const text = textOf(n, value);
      const { start, end } = value;
      if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end)) {
        throw new BadLine(n, '"start" and "end" must be whole numbers (UTF-16 offsets)');
      }
      if (start < 0 || end > text.length || end <= start) throw new BadLine(n, `span [${start}, ${end}) is not inside the text (length ${text.length})`);
      if (!last || last.text !== text) last = { text, ctx: new AssertionContext(text, { windowWords: flags['assertion-window'] }) };
      return JSON.stringify(last.ctx.assert(start, end));
    });
  });
}

export function runClassify(args: readonly string[], io: TaskCliIO): Promise<number> {
  return guarded('classify', '{"text": "..."}', io, async () => {
    const flags = parseFlags('classify', args, ['model', 'head', 'keep-going']);
    if (!flags.model) throw new UsageError('cmb classify: pass --model DIR (a sequence-classification checkpoint).');
    const handlers = createTaskHandlers(cliHost(await io.loadModel(flags.model, args), io));
    await eachLine(io, flags['keep-going'] === true, '{"text": "..."}', async (n, value) => {
      const text = textOf(n, value);
      if (text.trim() === '') throw new BadLine(n, '"text" is empty');
      const r = await handlers.classify({ text, head: flags.head }, requestContext());
      return JSON.stringify({ label: r.label, scores: r.scores });
    });
  });
}
