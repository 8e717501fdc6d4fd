/**
 * The ICD methods' handlers. The active store is opened once and kept; an
 * install swaps it only after the new one is complete.
 */
import { EngineError } from '../errors';
import type { Handlers } from '../handlers';
import type { EngineHost } from '../host';
import { activeStoreFile, installFromFolder, installFromUrls, openActiveStore } from './install';
import { IcdCatalog } from './lookup';
import type { IcdMethods, IcdStatus } from './protocol';
import type { IcdStore } from './store';
import { ALL_SYSTEMS, SYSTEM_NAMES } from './systems';
import { createCodeVectorHandlers, modelCodeEmbedder, type CodeEmbedder } from './vectorHandlers';

const MAX_TEXT = 2_000_000;
/** how often to look whether another window (or the CLI) installed a newer set */
const RECHECK_MS = 5000;

export function statusOf(store: IcdStore | undefined): IcdStatus {
  if (!store) return { installed: false, systems: [] };
  const m = store.meta;
  return {
    installed: true,
    systems: ALL_SYSTEMS.filter((s) => m.counts[s]).map((s) => ({ system: s, name: SYSTEM_NAMES[s], codes: m.counts[s]!.codes, billable: m.counts[s]!.billable })),
    source: m.source,
    builtAt: m.builtAt,
    files: m.files,
    warnings: m.warnings,
  };
}

/** The handlers and a close() for the worker's shutdown and for tests. */
export function createIcdService(
  host: EngineHost,
  opts: { recheckMs?: number; embedder?: () => CodeEmbedder; embedBatch?: number } = {},
): { handlers: Handlers<IcdMethods>; close(): Promise<void> } {
  const recheckMs = opts.recheckMs ?? RECHECK_MS;
  let store: IcdStore | undefined;
  let loading: Promise<IcdCatalog> | undefined;
  let installing = false;
  let checkedAt = 0;
  let settled = false;

  const catalog = (): Promise<IcdCatalog> => {
    const now = Date.now();
    if (settled && !installing && now - checkedAt >= recheckMs) {
      checkedAt = now;
      if (activeStoreFile(host.storageDir()) !== store?.file) {
        const old = store;
        store = undefined;
        loading = undefined;
        settled = false;
        // requests already holding the old catalog finish first: close it a little later
        if (old) setTimeout(() => void old.close().catch(() => undefined), 1000).unref();
      }
    }
    loading ??= openActiveStore(host.storageDir()).then(
      (s) => {
        store = s;
        settled = true;
        return new IcdCatalog(s);
      },
      (e: unknown) => {
        loading = undefined;
        settled = false;
        host.log('warn', `ICD code sets could not be opened: ${(e as Error).message}`);
        return new IcdCatalog(undefined);
      },
    );
    return loading;
  };

  const swapIn = async (): Promise<IcdStatus> => {
    const old = store;
    const next = await openActiveStore(host.storageDir());
    store = next;
    settled = true;
    loading = Promise.resolve(new IcdCatalog(next));
    if (old) await old.close().catch(() => undefined);
    return statusOf(next);
  };

  const vectors = createCodeVectorHandlers(host, {
    icdStore: async () => {
      await catalog();
      return store;
    },
    embedder: opts.embedder ?? (() => modelCodeEmbedder(host)),
    batch: opts.embedBatch,
  });

  const handlers: Handlers<IcdMethods> = {
    ...vectors.handlers,
    'icd.lookup': async (p) => {
      if (!Array.isArray(p?.codes) || p.codes.some((c) => typeof c !== 'string')) throw new EngineError('bad-input', 'icd.lookup needs codes: a list of strings.');
      const c = await catalog();
      return { installed: c.installedSystems().size > 0, results: await c.lookup(p.codes.slice(0, 1000), p.system) };
    },
    'icd.search': async (p) => {
      if (typeof p?.query !== 'string') throw new EngineError('bad-input', 'icd.search needs a query string.');
      const c = await catalog();
      return { installed: c.installedSystems().size > 0, items: await c.search(p.query, { limit: p.limit, systems: p.systems }) };
    },
    'icd.detect': async (p) => {
      if (typeof p?.text !== 'string') throw new EngineError('bad-input', 'icd.detect needs text.');
      if (p.text.length > MAX_TEXT) throw new EngineError('bad-input', `The note is longer than ${MAX_TEXT.toLocaleString('en-US')} characters; ICD detection skips it.`);
      const c = await catalog();
      return { installed: c.installedSystems().size > 0, codes: await c.detect(p.text) };
    },
    'icd.install': async (p, ctx) => {
      if (installing) throw new EngineError('bad-input', 'Code sets are already being installed.');
      installing = true;
      try {
        const opts = { signal: ctx.signal, progress: (x: { message: string; fraction?: number }) => ctx.progress(x) };
        const r = p?.kind === 'folder' ? await installFromFolder(host.storageDir(), p.path, opts) : p?.kind === 'download' ? await installFromUrls(host.storageDir(), p.urls, opts) : undefined;
        if (!r) throw new EngineError('bad-input', 'icd.install needs {kind: "folder", path} or {kind: "download", urls}.');
        for (const w of r.meta.warnings) ctx.log('warn', w);
        return await swapIn();
      } finally {
        installing = false;
      }
    },
    'icd.status': async () => {
      await catalog();
      return statusOf(store);
    },
  };
  return {
    handlers,
    close: async () => {
      await vectors.close();
      const s = store;
      store = undefined;
      loading = undefined;
      await s?.close();
    },
  };
}

export function createIcdHandlers(host: EngineHost): Handlers<IcdMethods> {
  return createIcdService(host).handlers;
}
