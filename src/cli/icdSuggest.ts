/**
 * `cmb icd-suggest` and `cmb icd-embed`: ICD codes for phrases from the
 * encoder and the words, and the code embeddings they need, without VS Code.
 *
 *   cmb icd-embed --model DIR [--codesets DIR] [--systems icd10cm,...] [--billable-only] [--template T]
 *       embeds the codes (resumable: run it again after a stop), progress on stderr, a summary on stdout
 *   cmb icd-suggest [--model DIR] [--codesets DIR] [--k N] [--systems icd10cm,...] [--template T]
 *       stdin {"text"} lines -> {"codes":[{"code","system","description","billable","chapter","score","rankers","similarity"}],"wordsOnly","reason"}
 *
 * Without --model, or with a demo model, or before icd-embed, suggestions come
 * from the words only, and each line says so.
 */
import { EngineError } from '../engine/errors';
import type { Engine } from '../engine/engine';
import { directContext } from '../engine/engine';
import type { EngineHost } from '../engine/host';
import { defaultEngineSettings } from '../engine/coreProtocol';
import { openActiveStore } from '../engine/icd/install';
import type { IcdStore } from '../engine/icd/store';
import { ALL_SYSTEMS, SYSTEM_NAMES, type IcdSystem } from '../engine/icd/systems';
import { createCodeVectorHandlers, duration, modelCodeEmbedder } from '../engine/icd/vectorHandlers';
import { CliInputError, ENGINE_OPTIONS, parseArgs, readJsonLines, stringFlag, textField, type CliIo, type ParsedArgs } from './io';
import { storageDirOf, storeForFolder } from './icd';

export interface IcdVectorCliHooks {
  /** an engine with the --model folder loaded (the engine's common options read from the arguments) */
  loadEngine(p: ParsedArgs): Promise<Engine>;
  storageDir?: string;
}

function parse(command: string, args: string[], flags: string[], switches: string[]): ParsedArgs {
  const p = parseArgs(args, switches);
  const known = [...flags, ...switches, ...ENGINE_OPTIONS];
  for (const name of p.flags.keys()) {
    if (!known.includes(name)) throw new CliInputError(`unknown option --${name} (cmb ${command} accepts ${[...flags, ...switches].map((f) => `--${f}`).join(', ')} and the common options)`);
  }
  if (p.positional.length) throw new CliInputError(`unexpected argument "${p.positional[0]}"`);
  return p;
}

function systemsFlag(p: ParsedArgs): IcdSystem[] | undefined {
  const v = stringFlag(p, 'systems');
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((s) => !ALL_SYSTEMS.includes(s as IcdSystem));
  if (bad || !list.length) throw new CliInputError(`--systems takes a comma-separated list of ${ALL_SYSTEMS.join(', ')}`);
  return list as IcdSystem[];
}

async function openStore(p: ParsedArgs, io: CliIo, storageDir: string): Promise<IcdStore> {
  const codesets = stringFlag(p, 'codesets');
  const store = codesets ? await storeForFolder(codesets, io, { storageDir }) : await openActiveStore(storageDir);
  if (!store) throw new EngineError('missing-file', 'No ICD code sets installed. Pass --codesets DIR (a folder of the official CMS files).');
  return store;
}

/** a host without a model: suggestions from words only */
function modelessHost(storageDir: string): EngineHost {
  return {
    settings: () => defaultEngineSettings,
    model: () => {
      throw new EngineError('not-loaded', 'No model is loaded: pass --model DIR.');
    },
    storageDir: () => storageDir,
    log: () => undefined,
  };
}

/**
 * The code sets, the engine (with --model, or none: words only) and the code
 * vector handlers over them for one command, closed in reverse order however it ends.
 */
async function withCodeVectors(
  p: ParsedArgs,
  io: CliIo,
  hooks: IcdVectorCliHooks,
  run: (vectors: ReturnType<typeof createCodeVectorHandlers>, store: IcdStore) => Promise<number>,
): Promise<number> {
  const storageDir = hooks.storageDir ?? storageDirOf({});
  const store = await openStore(p, io, storageDir);
  let engine: Engine | undefined;
  try {
    if (stringFlag(p, 'model')) engine = await hooks.loadEngine(p);
    const host: EngineHost = engine ?? modelessHost(storageDir);
    const vectors = createCodeVectorHandlers(host, { icdStore: async () => store, embedder: () => modelCodeEmbedder(host) });
    try {
      return await run(vectors, store);
    } finally {
      await vectors.close();
    }
  } finally {
    await engine?.dispose();
    await store.close();
  }
}

export async function runIcdEmbed(args: string[], io: CliIo, hooks: IcdVectorCliHooks): Promise<number> {
  const p = parse('icd-embed', args, ['model', 'codesets', 'systems', 'template'], ['billable-only']);
  if (!stringFlag(p, 'model')) throw new CliInputError('--model DIR (a model folder) is required');
  return withCodeVectors(p, io, hooks, async (vectors, store) => {
    const template = stringFlag(p, 'template');
    const installed = store.systems();
    const systems = systemsFlag(p) ?? (installed.includes('icd10cm') ? ['icd10cm' as const] : installed);
    const missing = systems.find((s) => !installed.includes(s));
    if (missing) throw new CliInputError(`${SYSTEM_NAMES[missing]} is not in the code sets (installed: ${installed.map((s) => s).join(', ') || 'none'})`);
    const plan = await vectors.handlers['icd.embedPlan']({ template }, directContext());
    const billableOnly = p.flags.get('billable-only') === true;
    const todo = plan.systems.filter((s) => systems.includes(s.system)).reduce((n, s) => n + (billableOnly ? s.toEmbedBillable : s.toEmbed), 0);
    if (plan.demo) io.err(`${plan.modelName} is a demo (random-weight) model: its code embeddings draw a map of noise, and suggestions ignore them.`);
    io.err(`${todo.toLocaleString('en-US')} codes to embed with ${plan.modelName}${todo ? `: about ${duration(todo * plan.secondsPerCode)} on this machine` : ''}.`);
    let last = 0;
    const r = await vectors.handlers['icd.embed'](
      { systems, billableOnly, template },
      directContext({
        progress: (pr) => {
          // a line every 10 s: builds take hours on a CPU, and a log should show they move
          if (Date.now() - last < 10_000 && pr.fraction !== 1) return;
          last = Date.now();
          io.err(pr.message);
        },
      }),
    );
    io.out(JSON.stringify(r));
    return 0;
  });
}

export async function runIcdSuggest(args: string[], io: CliIo, hooks: IcdVectorCliHooks): Promise<number> {
  const p = parse('icd-suggest', args, ['model', 'codesets', 'systems', 'template', 'k'], []);
  const k = stringFlag(p, 'k') === undefined ? 10 : Number(stringFlag(p, 'k'));
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new CliInputError('--k must be a whole number from 1 to 100');
  const systems = systemsFlag(p);
  return withCodeVectors(p, io, hooks, async (vectors) => {
    const template = stringFlag(p, 'template');
    let told = false;
    for await (const { value, line } of readJsonLines(io.stdin)) {
      const text = textField(value, line);
      const r = await vectors.handlers['icd.suggest']({ text, k, systems, template }, directContext());
      if (r.reason && !told) {
        io.err(r.reason.replace('(Clinical: Build ICD Code Embeddings)', '(cmb icd-embed)'));
        told = true;
      }
      io.out(
        JSON.stringify({
          codes: r.items.map((i) => ({
            code: i.display,
            system: i.systemName,
            description: i.description,
            billable: i.billable,
            chapter: i.chapter,
            score: Number(i.score.toPrecision(6)),
            rankers: i.rankers,
            ...(i.similarity !== undefined ? { similarity: Number(i.similarity.toPrecision(6)) } : {}),
          })),
          wordsOnly: r.wordsOnly,
        }),
      );
    }
    return 0;
  });
}
