/**
 * The engine's state and method table, independent of how requests arrive: the
 * worker (worker.ts) feeds it messages from the extension host, the CLI calls it
 * directly. Holds at most one loaded model.
 */
import { defaultEngineSettings, type CoreMethods, type EngineSettings } from './coreProtocol';
import { EngineError } from './errors';
import type { Handlers, RequestContext } from './handlers';
import type { EngineHost, LoadedModel } from './host';
import type { EngineMethods, MethodName, ParamsOf, ResultOf } from './protocol';
import { loadModel as loadModelFolder } from './model/loadModel';
import { ensureOnnx } from './model/convert/convert';
import { inspectModelFolder } from './model/folder';
import { firstLoadingProvider } from './model/session';
import { choosePrecision } from './model/precisionChoice';
import { embedTexts } from './tasks/embed';

export interface EngineOptions {
  storageDir: string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** for tests: replaces loading a model folder */
  loadModel?: typeof loadModelFolder;
}

export type DomainHandlers = (host: EngineHost) => Partial<Handlers<EngineMethods>>;

export class Engine implements EngineHost {
  private current: LoadedModel | undefined;
  private currentSettings: EngineSettings = { ...defaultEngineSettings };
  private readonly table: Handlers<EngineMethods>;
  /** a second load waits for the first: one session at a time */
  private loading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly opts: EngineOptions,
    domains: DomainHandlers[] = [],
  ) {
    const core: Handlers<CoreMethods> = {
      'model.load': async ({ path, settings }, ctx) => {
        const next = this.loading.then(async () => {
          const model = await (this.opts.loadModel ?? loadModelFolder)(path, settings, {
            onProgress: (p) => ctx.progress(p),
            signal: ctx.signal,
            log: (l, m) => this.log(l, m),
          });
          const previous = this.current;
          this.current = model;
          this.currentSettings = { ...settings };
          await previous?.dispose();
          this.log('info', `Loaded ${model.info.architecture} model "${model.info.name}" (${model.info.layers} layers, hidden ${model.info.hidden}) on ${model.info.provider}.`);
          return model.info;
        });
        this.loading = next.catch(() => undefined);
        return next;
      },
      'model.info': async () => this.current?.info ?? null,
      'model.convert': async ({ path, settings, force }, ctx) => {
        const folder = await inspectModelFolder(path, { acceptVocabTxt: true });
        // the variant a load with these settings would run
        const { precision } = choosePrecision(settings.precision ?? 'auto', await firstLoadingProvider(settings.executionProvider));
        return ensureOnnx(folder, {
          cacheDir: settings.cacheDir,
          force,
          precision,
          signal: ctx.signal,
          onProgress: (fraction, message) => ctx.progress({ message, fraction }),
        });
      },
      'text.tokenize': async ({ texts }) => {
        const tok = this.model().tokenizer;
        return texts.map((t) => {
          const e = tok.encode(t);
          return { ids: e.ids, offsets: e.offsets };
        });
      },
      embed: async ({ texts, pooling }, ctx) => {
        const r = await embedTexts(this.model(), texts, pooling ?? this.currentSettings.pooling, ctx.signal);
        ctx.transfer(r.embeddings.map((e) => e.buffer as ArrayBuffer));
        return r;
      },
    };
    const table: Partial<Handlers<EngineMethods>> = { ...core };
    for (const d of domains) Object.assign(table, d(this));
    this.table = table as Handlers<EngineMethods>;
  }

  settings(): EngineSettings {
    return this.currentSettings;
  }

  model(): LoadedModel {
    if (!this.current) throw new EngineError('not-loaded', 'No model is loaded. Choose a model folder (Clinical: Choose Model Folder...).');
    return this.current;
  }

  storageDir(): string {
    return this.opts.storageDir;
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.opts.log(level, message);
  }

  has(method: string): method is MethodName {
    return Object.prototype.hasOwnProperty.call(this.table, method);
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, ctx: RequestContext): Promise<ResultOf<M>> {
    if (!this.has(method)) return Promise.reject(new EngineError('bad-input', `Unknown engine method "${String(method)}".`));
    const handler = this.table[method] as (p: ParamsOf<M>, c: RequestContext) => Promise<ResultOf<M>>;
    return handler(params, ctx);
  }

  async dispose(): Promise<void> {
    await this.current?.dispose();
    this.current = undefined;
  }
}

/** A context for direct calls (CLI, tests): progress and logs go to the given callbacks. */
export function directContext(opts: { signal?: AbortSignal; progress?: RequestContext['progress']; log?: RequestContext['log'] } = {}): RequestContext {
  return {
    signal: opts.signal ?? new AbortController().signal,
    progress: opts.progress ?? (() => undefined),
    log: opts.log ?? (() => undefined),
    transfer: () => undefined,
  };
}
