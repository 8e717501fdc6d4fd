/**
 * `cmb`: the engine without VS Code. JSON lines in, JSON lines out; bad input
 * exits with code 2 and one clear line.
 */
import * as path from 'node:path';
import { Engine, directContext } from '../engine/engine';
import { EngineError } from '../engine/errors';
import { defaultEngineSettings, precisionSettings, type EngineSettings, type Pooling, type PrecisionSetting, type ProviderSetting } from '../engine/coreProtocol';
import { domainHandlers } from '../engine/domains';
import { CliInputError, parseArgs, processIo, readJsonLines, requireFlag, stringFlag, textField, type CliIo, type ParsedArgs } from './io';
import { makeTestModelFolder } from '../engine/model/testModelFolder';
import { loadModel } from '../engine/model/loadModel';
import { clampThreads } from '../engine/model/threads';
import { runAssert, runClassify, runNer, type TaskCliIO } from './tasks';
import { runIcd, runIcdDetect } from './icd';
import { runIcdEmbed, runIcdSuggest, type IcdVectorCliHooks } from './icdSuggest';
import { runIndex, runSearch } from './search';
import { runHeads } from './heads';
import { runEval, runTrain, type TrainCliHooks } from './train';
import { runConvertData } from './data';
import { runDownload } from './download';
import { runGpu } from './gpu';
import { runFinetuneCommand } from './finetune';
import { cliStorageDir } from '../engine/storageDir';

const USAGE = `usage: cmb <command> [options]

  info --model DIR              architecture, sizes, provider, vocabulary
  convert --model DIR [--force] convert model.safetensors to ONNX (cached)
  tokenize --model DIR          stdin {"text"} lines -> {"ids","offsets"}
  embed --model DIR             stdin {"text"} lines -> {"embedding"}
  make-test-model --arch bert|modernbert [--head mlm|token|sequence] [--size tiny|real] --out DIR
  ner [--model DIR] [--lexicon DIR | --no-default-lexicon]
                                stdin {"text"} lines -> entity spans with assertion status (the built-in clinical lexicon unless --lexicon)
  assert                        stdin {"text","start","end"} lines -> assertion status
  classify --model DIR          stdin {"text"} lines -> {"label","scores"}
  icd CODE... [--codesets DIR]  code, system, description, billable, parents
  icd-detect [--codesets DIR]   stdin {"text"} lines -> ICD codes found, with offsets
  icd-embed --model DIR [--codesets DIR] [--systems icd10cm,...] [--billable-only] [--template T]
                                embed the codes with the model (resumable), for icd-suggest and the ICD map
  icd-suggest [--model DIR] [--codesets DIR] [--k N] [--systems icd10cm,...]
                                stdin {"text"} lines -> ICD codes from the encoder and the words, with scores
  index DIR [--model DIR] [--db FILE] [--rebuild]  index a folder of notes (incremental)
  search DIR "query" [--k N] [--json]          hybrid search (words + meaning)
  heads --model DIR             task heads in the model folder's heads/ (models/README.md)
  train --model DIR --task ner|classify --data PATH [--data PATH...] [--dev PATH] [--test PATH] --out NAME
        [--epochs N] [--seed N] [--layers K] [--head linear|mlp] [--pooling cls|mean] [--lr X]
        [--class-weights none|balanced] [--patience N] [--report FILE] [--replace]
                                train a head on the frozen encoder -> DIR/heads/NAME (docs/training.md)
  eval --model DIR [--head NAME] --data PATH [--data PATH...]   a head's (or a fine-tuned model's) figures on a labelled dataset
  finetune --model DIR --task ner|classify --data PATH [--data PATH...] [--dev PATH] [--test PATH] --out OUTDIR
        [--epochs N] [--lr X] [--batch N] [--max-tokens N] [--layers-trainable K] [--python EXE]
        [--device cuda|cpu] [--seed N] [--resume] [--keep-data]
                                fine-tune the whole encoder with the PyTorch companion -> OUTDIR (docs/finetune.md)
  convert-data --from PATH [--from PATH...] --to FILE_OR_DIR [--format conll|brat|jsonl|csv] [--strict] [--force]
                                convert labelled datasets (CoNLL, brat, JSONL, CSV); docs/datasets.md
  download REPO_ID [--revision REV] [--out DIR]   a model from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN)
  gpu [--json]                  what CUDA / WebGPU need here and whether it is there (docs/gpu.md)
  gpu --install [--from FILE] [--feed URL]        set up the CUDA provider libraries (download, or a .nupkg file)

common options: --provider auto|cuda|webgpu|cpu  --precision auto|fp32|fp16|int8  --threads N  --window N  --stride N
                --batch N (windows)  --batch-tokens N  --pooling mean|cls  --cache DIR`;

function intFlag(p: ParsedArgs, name: string, fallback: number): number {
  const v = stringFlag(p, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliInputError(`--${name} must be a non-negative integer`);
  return n;
}

/** --threads above the machine's cores is lowered to them, with a notice on stderr */
function threadsFlag(p: ParsedArgs, io: Pick<CliIo, 'err'>): number {
  const { threads, notice } = clampThreads(intFlag(p, 'threads', defaultEngineSettings.threads), '--threads');
  if (notice) io.err(`cmb: ${notice}`);
  return threads;
}

function settingsFrom(p: ParsedArgs, io: Pick<CliIo, 'err'>): EngineSettings {
  const provider = stringFlag(p, 'provider') ?? 'auto';
  if (!['auto', 'cuda', 'webgpu', 'cpu'].includes(provider)) throw new CliInputError('--provider must be auto, cuda, webgpu or cpu');
  const pooling = stringFlag(p, 'pooling') ?? 'mean';
  if (pooling !== 'mean' && pooling !== 'cls') throw new CliInputError('--pooling must be mean or cls');
  const precision = stringFlag(p, 'precision') ?? 'auto';
  if (!precisionSettings.includes(precision as PrecisionSetting)) throw new CliInputError('--precision must be auto, fp32, fp16 or int8');
  return {
    executionProvider: provider as ProviderSetting,
    windowTokens: intFlag(p, 'window', defaultEngineSettings.windowTokens),
    windowStride: intFlag(p, 'stride', defaultEngineSettings.windowStride),
    batchSize: Math.max(1, intFlag(p, 'batch', defaultEngineSettings.batchSize)),
    batchTokens: Math.max(1, intFlag(p, 'batch-tokens', defaultEngineSettings.batchTokens!)),
    threads: threadsFlag(p, io),
    precision: precision as PrecisionSetting,
    pooling: pooling as Pooling,
    cacheDir: stringFlag(p, 'cache') ?? '',
  };
}

export function createCliEngine(io: CliIo): Engine {
  return new Engine(
    {
      storageDir: cliStorageDir(),
      log: (level, message) => {
        // provider fallbacks are reported by `cmb info`; the stream stays one line per problem
        if (level === 'error' || process.env.CMB_VERBOSE) io.err(`${level}: ${message}`);
      },
    },
    domainHandlers,
  );
}

/** Loads --model into the engine; progress goes to stderr when it is a terminal. */
export async function loadCliModel(engine: Engine, p: ParsedArgs, io: CliIo): Promise<void> {
  const dir = requireFlag(p, 'model', 'DIR (a model folder)');
  await engine.call('model.load', { path: dir, settings: settingsFrom(p, io) }, directContext({
    progress: (pr) => {
      if (process.stderr.isTTY) io.err(`${pr.message}${pr.fraction !== undefined ? ` ${Math.round(pr.fraction * 100)}%` : ''}`);
    },
  }));
}

type Command = (args: string[], io: CliIo) => Promise<number>;

const commands: Record<string, Command> = {
  async info(args, io) {
    const p = parseArgs(args);
    const engine = createCliEngine(io);
    try {
      await loadCliModel(engine, p, io);
      io.out(JSON.stringify(await engine.call('model.info', {}, directContext()), null, 2));
      return 0;
    } finally {
      await engine.dispose();
    }
  },

  async convert(args, io) {
    const p = parseArgs(args, ['force']);
    const engine = createCliEngine(io);
    const dir = requireFlag(p, 'model', 'DIR (a model folder)');
    const r = await engine.call('model.convert', { path: dir, settings: settingsFrom(p, io), force: p.flags.get('force') === true }, directContext({
      progress: (pr) => io.err(`${pr.message}${pr.fraction !== undefined ? ` ${Math.round(pr.fraction * 100)}%` : ''}`),
    }));
    io.out(JSON.stringify(r));
    return 0;
  },

  async tokenize(args, io) {
    const p = parseArgs(args);
    const engine = createCliEngine(io);
    try {
      await loadCliModel(engine, p, io);
      for await (const { value, line } of readJsonLines(io.stdin)) {
        const [r] = await engine.call('text.tokenize', { texts: [textField(value, line)] }, directContext());
        io.out(JSON.stringify(r));
      }
      return 0;
    } finally {
      await engine.dispose();
    }
  },

  async embed(args, io) {
    const p = parseArgs(args);
    const engine = createCliEngine(io);
    try {
      await loadCliModel(engine, p, io);
      for await (const { value, line } of readJsonLines(io.stdin)) {
        const r = await engine.call('embed', { texts: [textField(value, line)] }, directContext());
        io.out(JSON.stringify({ embedding: Array.from(r.embeddings[0], (x) => Number(x.toPrecision(7))) }));
      }
      return 0;
    } finally {
      await engine.dispose();
    }
  },

  async 'make-test-model'(args, io) {
    const p = parseArgs(args);
    const arch = requireFlag(p, 'arch', 'bert|modernbert');
    if (arch !== 'bert' && arch !== 'modernbert') throw new CliInputError('--arch must be bert or modernbert');
    const head = stringFlag(p, 'head');
    if (head !== undefined && !['mlm', 'token', 'sequence'].includes(head)) throw new CliInputError('--head must be mlm, token or sequence');
    const size = stringFlag(p, 'size') ?? 'tiny';
    if (size !== 'tiny' && size !== 'real') throw new CliInputError('--size must be tiny or real');
    const out = requireFlag(p, 'out', 'DIR');
    makeTestModelFolder({ arch, head: head as 'mlm' | 'token' | 'sequence' | undefined, out, size });
    io.out(JSON.stringify({ out: path.resolve(out), arch, head: head ?? null, size }));
    return 0;
  },
};

/** Switches (flags without a value) of any subcommand, so engine options parse around them. */
const SWITCHES = ['force', 'json', 'allow-demo', 'keep-going', 'no-default-lexicon'];

/** The task commands load a model in-process, with the same engine options as the others. */
function taskIo(io: CliIo): TaskCliIO {
  return { ...io, loadModel: (dir, args) => loadModel(dir, settingsFrom(parseArgs(args, SWITCHES), io)) };
}

/** Training borrows the CLI's engine and model loading. */
function trainHooks(io: CliIo): TrainCliHooks {
  return { createEngine: () => createCliEngine(io), loadModel: (engine, p) => loadCliModel(engine, p, io) };
}

function icdVectorHooks(io: CliIo): IcdVectorCliHooks {
  return {
    loadEngine: async (p) => {
      const engine = createCliEngine(io);
      await loadCliModel(engine, p, io);
      return engine;
    },
  };
}

/** Subcommands of the feature domains. */
const extraCommands: Record<string, Command> = {
  ner: (args, io) => runNer(args, taskIo(io)),
  assert: (args, io) => runAssert(args, taskIo(io)),
  classify: (args, io) => runClassify(args, taskIo(io)),
  icd: (args, io) => runIcd(args, io),
  'icd-detect': (args, io) => runIcdDetect(args, io),
  'icd-embed': (args, io) => runIcdEmbed(args, io, icdVectorHooks(io)),
  'icd-suggest': (args, io) => runIcdSuggest(args, io, icdVectorHooks(io)),
  index: (args, io) => runIndex(args, io, { color: process.stdout.isTTY }),
  search: (args, io) => runSearch(args, io, { color: process.stdout.isTTY }),
  heads: runHeads,
  train: (args, io) => runTrain(args, io, trainHooks(io)),
  eval: (args, io) => runEval(args, io, trainHooks(io)),
  finetune: (args, io) => runFinetuneCommand(args, io, { createEngine: () => createCliEngine(io) }),
  'convert-data': runConvertData,
  download: (args, io) => runDownload(args, io, { tty: process.stderr.isTTY }),
  gpu: (args, io) => runGpu(args, io, { tty: process.stderr.isTTY }),
};

/** Commands that print their own, longer usage for --help. */
const OWN_HELP = new Set(['ner', 'assert', 'classify', 'index', 'search']);

/** A command's lines of USAGE (its line or lines, their continuation lines) and the common options. */
export function commandUsage(name: string): string {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inCommand = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inCommand = line.slice(2).split(' ')[0] === name;
    else if (!/^ {3,}\S/.test(line)) inCommand = false;
    if (inCommand) out.push(line);
  }
  const common = lines.slice(lines.findIndex((l) => l.startsWith('common options:')));
  return [`usage: cmb ${name} [options]`, '', ...out, '', ...common].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  const cmd = commands[name] ?? extraCommands[name];
  if (!cmd) {
    io.err(`cmb: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  if (!OWN_HELP.has(name) && (rest.includes('--help') || rest.includes('-h'))) {
    io.out(commandUsage(name));
    return 0;
  }
  try {
    return await cmd(rest, io);
  } catch (e) {
    if (e instanceof CliInputError) {
      io.err(`cmb ${name}: ${e.message}`);
      return 2;
    }
    if (e instanceof EngineError) {
      io.err(`cmb ${name}: ${e.message}`);
      return e.code === 'bad-input' ? 2 : 1;
    }
    io.err(`cmb ${name}: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cmb: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
