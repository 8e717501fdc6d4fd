/**
 * Handlers of the code-embedding methods: build the embeddings of the
 * installed code sets with the loaded model, suggest codes for a phrase, and
 * draw (and cache) the map of a system's code space.
 */
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';
import type { Handlers, RequestContext } from '../handlers';
import type { EngineHost } from '../host';
import { encoderFingerprint } from '../model/headFolder';
import { inspectModelFolder } from '../model/folder';
import { modelFingerprint } from '../index/modelEmbedder';
import { embedTexts } from '../tasks/embed';
import { chapterLabel, chapterOf } from './chapters';
import type { CodeRecord } from './codesets';
import { checkTemplate, codeText } from './codeTemplate';
import { CodeVectorStore, codeVectorsFile, textHash, type StoredProjection } from './codeVectors';
import { defaultProjectionOptions, PROJECTION_VERSION } from './projection';
import { runProjection } from './projectionThread';
import type { IcdStore } from './store';
import { suggestCodes, MAX_SUGGEST_CHARS } from './suggest';
import { ALL_SYSTEMS, displayCode, SYSTEM_NAMES, type IcdSystem } from './systems';
import type { CodeMapData, CodeVectorMethods, EmbedPlanSystem, MapLegendEntry } from './vectorProtocol';

/** What the code embeddings need from a model; tests give a fake whose vectors they know. */
export interface CodeEmbedder {
  /** which vectors these are: the encoder's fingerprint and the pooling */
  key: string;
  modelName: string;
  modelPath: string;
  dims: number;
  /** random weights: the map is drawn (and says so), suggestions ignore the vectors */
  demo: boolean;
  /** one L2-normalised vector per text */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** texts per embed call while building (the runner batches them by length) */
const BUILD_BATCH = 64;
/** codes embedded to estimate the time a build takes */
const PLAN_SAMPLE = 16;
export const DEFAULT_MAP_POINTS = 15000;
const MAX_MAP_POINTS = 100_000;
/** the order a map's system is chosen in when none is asked */
const MAP_PREFERENCE: IcdSystem[] = ['icd10cm', 'icd9cm-dx', 'icd10pcs', 'icd9cm-sg'];

const NO_CODESETS = 'No ICD code sets are installed (Clinical: Install ICD Code Sets).';
const NO_MODEL = 'No model is loaded, so codes are suggested from words only.';
const DEMO_MODEL = 'The loaded model is a demo (random-weight) model, so codes are suggested from words only.';
const NOT_EMBEDDED = 'The codes are not embedded with this model yet (Clinical: Build ICD Code Embeddings), so they are suggested from words only.';

const fingerprints = new WeakMap<object, string>();

/** The loaded model as a code embedder; throws EngineError('not-loaded') without one. */
export function modelCodeEmbedder(host: EngineHost): CodeEmbedder {
  const model = host.model();
  const settings = host.settings();
  let fingerprint = fingerprints.get(model);
  if (!fingerprint) {
    try {
      fingerprint = encoderFingerprint(inspectModelFolder(model.info.path, { acceptVocabTxt: true }));
    } catch {
      // a folder changed since it loaded: the session's own file still names the weights
      fingerprint = modelFingerprint(model, settings);
    }
    fingerprints.set(model, fingerprint);
  }
  return {
    key: `${fingerprint}|${settings.pooling}`,
    modelName: model.info.name,
    modelPath: model.info.path,
    dims: model.info.hidden,
    demo: model.info.demo,
    embed: async (texts, signal) => (await embedTexts(model, texts, settings.pooling, signal)).embeddings,
  };
}

function systemsParam(v: unknown, installed: IcdSystem[]): IcdSystem[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => !ALL_SYSTEMS.includes(s as IcdSystem))) {
    throw new EngineError('bad-input', `ICD systems must be a list of ${ALL_SYSTEMS.join(', ')}.`);
  }
  return (v as IcdSystem[]).filter((s) => installed.includes(s));
}

function mapPointsParam(v: unknown): number {
  if (v === undefined || v === null) return DEFAULT_MAP_POINTS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 3 || n > MAX_MAP_POINTS) throw new EngineError('bad-input', `The ICD map shows between 3 and ${MAX_MAP_POINTS.toLocaleString('en-US')} points.`);
  return n;
}

function cancelled(signal: AbortSignal, what: string): void {
  if (signal.aborted) throw new EngineError('cancelled', `${what} was cancelled.`);
}

export interface CodeVectorDeps {
  /** the active code-set store, if one is installed */
  icdStore(): Promise<IcdStore | undefined>;
  /** the loaded model; throws EngineError('not-loaded') without one */
  embedder(): CodeEmbedder;
  /** texts per embed call while building (tests make it small) */
  batch?: number;
}

export function createCodeVectorHandlers(host: EngineHost, deps: CodeVectorDeps): { handlers: Handlers<CodeVectorMethods>; close(): Promise<void> } {
  const opened = new Map<string, Promise<CodeVectorStore | undefined>>();
  let building = false;
  const projecting = new Map<string, Promise<StoredProjection>>();

  const vectorStore = (e: CodeEmbedder, create: boolean): Promise<CodeVectorStore | undefined> => {
    const file = codeVectorsFile(host.storageDir(), e.key);
    let p = opened.get(file);
    if (!p) {
      p = CodeVectorStore.open(file, { key: e.key, modelName: e.modelName, modelPath: e.modelPath, dims: e.dims, demo: e.demo }, { create });
      opened.set(file, p);
      // a file not there yet is looked for again next time
      p.then((s) => !s && opened.delete(file), () => opened.delete(file));
    }
    return p;
  };

  const requireStore = async (): Promise<IcdStore> => {
    const s = await deps.icdStore();
    if (!s) throw new EngineError('missing-file', NO_CODESETS);
    return s;
  };

  const requireEmbedder = (): CodeEmbedder => {
    try {
      return deps.embedder();
    } catch (e) {
      if (e instanceof EngineError && e.code === 'not-loaded') throw new EngineError('not-loaded', 'No model is loaded: ICD codes are embedded with the loaded model. Choose a model folder (Clinical: Choose Model Folder...).');
      throw e;
    }
  };

  /** each record's embedded text and its hash */
  const withHashes = (records: CodeRecord[], template: string) => records.map((r) => {
    const text = codeText(template, r);
    return { r, text, hash: textHash(text) };
  });

  /** the codes of a system embedded with the current release and template, sampled to maxPoints (the same sample every time) */
  const currentPoints = async (store: IcdStore, vs: CodeVectorStore, system: IcdSystem, template: string, maxPoints: number) => {
    const have = await vs.hashes(system);
    const current = withHashes(await store.records(system), template).filter((x) => have.get(x.r.code) === x.hash);
    const total = current.length;
    let points = current;
    if (points.length > maxPoints) {
      const order = (code: string) => createHash('sha256').update(code).digest('hex');
      points = points.map((x) => ({ x, o: order(x.r.code) })).sort((a, b) => (a.o < b.o ? -1 : 1)).slice(0, maxPoints).map((y) => y.x).sort((a, b) => (a.r.code < b.r.code ? -1 : 1));
    }
    return { points, total };
  };

  const mapData = (system: IcdSystem, meta: { key: string; modelName: string; demo: boolean }, p: StoredProjection, records: Map<string, CodeRecord>, total: number, computed: boolean): CodeMapData => {
    const legend: MapLegendEntry[] = [];
    const at = new Map<string, number>();
    const n = p.codes.length;
    const chapters = new Uint16Array(n);
    const billable = new Uint8Array(n);
    const descriptions: string[] = [];
    p.codes.forEach((code, i) => {
      const ch = chapterOf(system, code);
      const id = ch?.id ?? '?';
      let j = at.get(id);
      if (j === undefined) {
        j = legend.length;
        at.set(id, j);
        legend.push({ id, label: ch ? chapterLabel(system, ch) : 'Other', title: ch?.title ?? 'Codes outside the chapters', count: 0 });
      }
      legend[j]!.count++;
      chapters[i] = j;
      const r = records.get(code);
      billable[i] = r?.billable ? 1 : 0;
      descriptions.push(r?.long ?? '(not in the installed code set)');
    });
    // legend in chapter order, chapter indexes remapped to it
    const order = legend.map((_, j) => j).sort((a, b) => chapterSortKey(legend[a]!.id) - chapterSortKey(legend[b]!.id) || (legend[a]!.id < legend[b]!.id ? -1 : 1));
    const remap = new Uint16Array(legend.length);
    order.forEach((j, k) => (remap[j] = k));
    for (let i = 0; i < n; i++) chapters[i] = remap[chapters[i]!]!;
    return {
      modelKey: meta.key,
      modelName: meta.modelName,
      demo: meta.demo,
      system,
      systemName: SYSTEM_NAMES[system],
      builtAt: p.builtAt,
      xy: p.xy,
      codes: p.codes.map((c) => displayCode(system, c)),
      descriptions,
      billable,
      chapters,
      legend: order.map((j) => legend[j]!),
      total,
      computed,
    };
  };

  const recordsByCode = async (store: IcdStore | undefined, system: IcdSystem): Promise<Map<string, CodeRecord>> =>
    new Map((store ? await store.records(system) : []).map((r) => [r.code, r]));

  /** the loaded model's map of a system: cached, or projected now (one projection per model and system at a time) */
  const currentMap = async (p: { system?: IcdSystem; maxPoints?: number; template?: string }, ctx: RequestContext): Promise<CodeMapData> => {
    const store = await requireStore();
    const e = requireEmbedder();
    const template = checkTemplate(p.template);
    const maxPoints = mapPointsParam(p.maxPoints);
    const vs = await vectorStore(e, false);
    const counts = vs ? await vs.counts() : {};
    const installed = store.systems();
    if (p.system !== undefined && !ALL_SYSTEMS.includes(p.system)) throw new EngineError('bad-input', `Unknown ICD system "${String(p.system)}".`);
    const system = p.system ?? MAP_PREFERENCE.find((s) => installed.includes(s) && (counts[s] ?? 0) > 0) ?? MAP_PREFERENCE.find((s) => installed.includes(s));
    if (!system || !installed.includes(system)) throw new EngineError('missing-file', p.system ? `${SYSTEM_NAMES[p.system]} is not installed.` : NO_CODESETS);
    const { points, total } = vs ? await currentPoints(store, vs, system, template, maxPoints) : { points: [], total: 0 };
    if (!vs || !points.length) throw new EngineError('bad-input', `No ${SYSTEM_NAMES[system]} codes are embedded with this model yet: run Clinical: Build ICD Code Embeddings first.`);
    const options = defaultProjectionOptions;
    const key = createHash('sha256').update(JSON.stringify([PROJECTION_VERSION, options])).update(points.map((x) => `${x.r.code}:${x.hash}`).join('\n')).digest('hex');
    let proj = await vs.projection(system);
    let computed = false;
    if (proj?.key !== key) {
      const job = `${vs.file}|${system}|${key}`;
      let running = projecting.get(job);
      if (!running) {
        running = (async () => {
          const codes = points.map((x) => x.r.code);
          const vectors = await vs.vectors(system, codes);
          const rows = codes.map((c) => vectors.get(c)!).filter(Boolean);
          if (rows.length !== codes.length) throw new EngineError('internal', 'Code embeddings changed while the map was drawn; open the map again.');
          ctx.progress({ message: `Projecting ${codes.length.toLocaleString('en-US')} ${SYSTEM_NAMES[system]} codes to 2D`, fraction: 0 });
          const xy = await runProjection(rows, options, { signal: ctx.signal, progress: (fraction, message) => ctx.progress({ message, fraction }) });
          const stored: StoredProjection = { system, key, builtAt: new Date().toISOString(), codes, xy };
          await vs.putProjection(stored);
          return stored;
        })();
        projecting.set(job, running);
        void running.catch(() => undefined).finally(() => projecting.delete(job));
      }
      proj = await running;
      computed = true;
    }
    return mapData(system, { key: e.key, modelName: e.modelName, demo: e.demo }, proj, new Map(points.map((x) => [x.r.code, x.r])), total, computed);
  };

  const handlers: Handlers<CodeVectorMethods> = {
    'icd.embedPlan': async (p, ctx) => {
      const store = await deps.icdStore();
      const template = checkTemplate(p?.template);
      const e = requireEmbedder();
      if (!store) return { installed: false, modelName: e.modelName, demo: e.demo, template, systems: [], secondsPerCode: 0 };
      const vs = await vectorStore(e, false);
      const systems: EmbedPlanSystem[] = [];
      const sample: string[] = [];
      for (const system of store.systems()) {
        const have = vs ? await vs.hashes(system) : new Map<string, string>();
        const all = withHashes(await store.records(system), template);
        const todo = all.filter((x) => have.get(x.r.code) !== x.hash);
        systems.push({
          system,
          name: SYSTEM_NAMES[system],
          codes: all.length,
          billable: all.filter((x) => x.r.billable).length,
          embedded: all.length - todo.length,
          toEmbed: todo.length,
          toEmbedBillable: todo.filter((x) => x.r.billable).length,
        });
        for (let i = 0; i < todo.length && sample.length < PLAN_SAMPLE; i += Math.max(1, Math.floor(todo.length / PLAN_SAMPLE))) sample.push(todo[i]!.text);
      }
      let secondsPerCode = 0;
      if (sample.length) {
        const t0 = performance.now();
        await e.embed(sample, ctx.signal);
        secondsPerCode = (performance.now() - t0) / 1000 / sample.length;
      }
      return { installed: true, modelName: e.modelName, demo: e.demo, template, systems, secondsPerCode };
    },

    'icd.embed': async (p, ctx) => {
      const store = await requireStore();
      const e = requireEmbedder();
      const template = checkTemplate(p?.template);
      const systems = systemsParam(p?.systems, store.systems());
      if (!systems?.length) throw new EngineError('bad-input', 'Choose at least one installed ICD system to embed.');
      if (building) throw new EngineError('bad-input', 'ICD codes are already being embedded.');
      building = true;
      const t0 = performance.now();
      try {
        const vs = (await vectorStore(e, true))!;
        let kept = 0;
        let removed = 0;
        const work: Array<{ system: IcdSystem; todo: Array<{ r: CodeRecord; text: string; hash: string }> }> = [];
        for (const system of systems) {
          const records = await store.records(system);
          const have = await vs.hashes(system);
          const inRelease = new Set(records.map((r) => r.code));
          removed += await vs.remove(system, [...have.keys()].filter((c) => !inRelease.has(c)));
          // billable codes first: the ones a coder picks, useful before the headers are done
          const wanted = withHashes(records.filter((r) => r.billable || !p.billableOnly), template).sort((a, b) => Number(b.r.billable) - Number(a.r.billable));
          const todo = wanted.filter((x) => have.get(x.r.code) !== x.hash);
          kept += wanted.length - todo.length;
          work.push({ system, todo });
        }
        const total = work.reduce((n, w) => n + w.todo.length, 0);
        let embedded = 0;
        for (const { system, todo } of work) {
          const size = Math.max(1, deps.batch ?? BUILD_BATCH);
          for (let i = 0; i < todo.length; i += size) {
            cancelled(ctx.signal, 'Embedding the ICD codes');
            const batch = todo.slice(i, i + size);
            const vectors = await e.embed(batch.map((x) => x.text), ctx.signal);
            await vs.put(batch.map((x, j) => ({ system, code: x.r.code, hash: x.hash, vector: vectors[j]! })));
            embedded += batch.length;
            const elapsed = (performance.now() - t0) / 1000;
            const left = embedded ? (elapsed / embedded) * (total - embedded) : 0;
            ctx.progress({ message: `${SYSTEM_NAMES[system]}: ${embedded.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} codes embedded${left >= 1 ? `, about ${duration(left)} left` : ''}`, fraction: embedded / total });
          }
        }
        ctx.log('info', `ICD code embeddings for ${e.modelName}: ${embedded} embedded, ${kept} already current, ${removed} removed.`);
        return { embedded, kept, removed, seconds: Math.round((performance.now() - t0) / 100) / 10 };
      } finally {
        building = false;
      }
    },

    'icd.suggest': async (p, ctx) => {
      if (typeof p?.text !== 'string') throw new EngineError('bad-input', 'icd.suggest needs text.');
      checkTemplate(p.template); // a bad setting is named now, not only once codes are embedded
      const store = await deps.icdStore();
      if (!store) return { installed: false, items: [], wordsOnly: true, reason: NO_CODESETS, embedded: { codes: 0, total: 0 }, ms: 0 };
      const systems = systemsParam(p.systems, store.systems()) ?? store.systems();
      const total = systems.reduce((n, s) => n + (store.meta.counts[s]?.codes ?? 0), 0);
      let e: CodeEmbedder | undefined;
      let reason: string | undefined;
      try {
        e = deps.embedder();
      } catch (err) {
        if (!(err instanceof EngineError && err.code === 'not-loaded')) throw err;
        reason = NO_MODEL;
      }
      let codes = 0;
      let encoder: Parameters<typeof suggestCodes>[2];
      if (e && e.demo) reason = DEMO_MODEL;
      else if (e) {
        const vs = await vectorStore(e, false);
        const counts = vs ? await vs.counts() : {};
        codes = systems.reduce((n, s) => n + (counts[s] ?? 0), 0);
        if (!vs || !codes) reason = NOT_EMBEDDED;
        else {
          const embedder = e;
          encoder = {
            nearest: async (text, k, sys) => {
              const [q] = await embedder.embed([text.slice(0, MAX_SUGGEST_CHARS)], ctx.signal);
              return vs.nearest(q!, k, sys);
            },
          };
        }
      }
      return suggestCodes(store, { text: p.text, k: p.k, systems }, encoder, { reason, embedded: { codes, total } });
    },

    'icd.map': async (p, ctx) => {
      if (p?.modelKey === undefined) return currentMap(p ?? {}, ctx);
      // a stored map of any model, without loading it (to compare side by side)
      const system = p.system ?? 'icd10cm';
      const found = (await CodeVectorStore.list(host.storageDir())).find((x) => x.meta.key === p.modelKey);
      if (!found) throw new EngineError('missing-file', 'That model has no stored ICD map: load it and open its map once.');
      const vs = await CodeVectorStore.open(found.file, found.meta, { create: false });
      try {
        const proj = await vs?.projection(system);
        if (!proj) throw new EngineError('missing-file', `${found.meta.modelName} has no stored map of ${SYSTEM_NAMES[system]}: load it and open its map once.`);
        const counts = await vs!.counts();
        return mapData(system, found.meta, proj, await recordsByCode(await deps.icdStore(), system), counts[system] ?? proj.codes.length, false);
      } finally {
        await vs?.close();
      }
    },

    'icd.mapLocate': async (p, ctx) => {
      if (typeof p?.text !== 'string' || !p.text.trim()) throw new EngineError('bad-input', 'Select some text to place on the ICD map.');
      if (!ALL_SYSTEMS.includes(p.system)) throw new EngineError('bad-input', `Unknown ICD system "${String(p.system)}".`);
      const e = requireEmbedder();
      const vs = await vectorStore(e, false);
      const proj = await vs?.projection(p.system);
      if (!vs || !proj) throw new EngineError('bad-input', `There is no ${SYSTEM_NAMES[p.system]} map for this model yet: open the ICD map first.`);
      const [q] = await e.embed([p.text.slice(0, MAX_SUGGEST_CHARS)], ctx.signal);
      const at = new Map(proj.codes.map((c, i) => [c, i]));
      const near = (await vs.nearest(q!, 400, [p.system])).filter((h) => at.has(h.code)).slice(0, 8);
      if (!near.length) throw new EngineError('bad-input', 'No code on the map is near the text.');
      // nearer codes weigh more; a 0.02 difference in cosine similarity is a factor e
      const best = near[0]!.score;
      let x = 0;
      let y = 0;
      let w = 0;
      for (const h of near) {
        const wi = Math.exp((h.score - best) / 0.02);
        const i = at.get(h.code)!;
        x += wi * proj.xy[2 * i]!;
        y += wi * proj.xy[2 * i + 1]!;
        w += wi;
      }
      return { x: x / w, y: y / w, neighbours: near.slice(0, 5).map((h) => ({ code: h.code, display: displayCode(h.system, h.code), similarity: h.score })) };
    },

    'icd.maps': async () => {
      let current: string | undefined;
      try {
        current = deps.embedder().key;
      } catch {
        current = undefined;
      }
      return (await CodeVectorStore.list(host.storageDir())).flatMap((x) =>
        x.projections.map((pr) => ({
          modelKey: x.meta.key,
          modelName: x.meta.modelName,
          modelPath: x.meta.modelPath,
          demo: x.meta.demo,
          system: pr.system,
          systemName: SYSTEM_NAMES[pr.system] ?? pr.system,
          points: pr.points,
          builtAt: pr.builtAt,
          current: x.meta.key === current,
        })),
      );
    },
  };

  return {
    handlers,
    async close() {
      const all = [...opened.values()];
      opened.clear();
      for (const p of all) await (await p.catch(() => undefined))?.close().catch(() => undefined);
    },
  };
}

/** chapters in their book order: numbers first, then letters (ICD-9 V and E, PCS sections B..X) */
function chapterSortKey(id: string): number {
  const n = Number.parseInt(id, 10);
  if (Number.isFinite(n)) return n * 10 + (/[A-Z]$/.test(id) && id.length > 1 ? 1 : 0);
  return 1000 + id.charCodeAt(0);
}

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
