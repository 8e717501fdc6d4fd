import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../../../src/engine/handlers';
import type { EngineHost } from '../../../src/engine/host';
import { createIcdService } from '../../../src/engine/icd/handlers';
import { EngineError } from '../../../src/engine/errors';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { RELEASE, tempDir } from './fixtures';

function host(dir: string): EngineHost {
  return {
    settings: () => defaultEngineSettings,
    model: () => {
      throw new EngineError('not-loaded', 'no model');
    },
    storageDir: () => dir,
    log: () => undefined,
  };
}

function ctx(signal = new AbortController().signal): RequestContext & { messages: string[] } {
  const messages: string[] = [];
  return { signal, progress: (p) => messages.push(p.message), log: (_l, m) => messages.push(m), transfer: () => undefined, messages };
}

test('before install: status says so, lookups give system and chapter, detection needs a code context', async () => {
  const svc = createIcdService(host(tempDir('handlers')));
  const h = svc.handlers;
  try {
    assert.deepEqual(await h['icd.status']({}, ctx()), { installed: false, systems: [] });
    const l = await h['icd.lookup']({ codes: ['E11.9'] }, ctx());
    assert.equal(l.installed, false);
    const r = l.results[0]!.readings[0]!;
    assert.equal(r.systemName, 'ICD-10-CM');
    assert.equal(r.known, false);
    assert.equal(r.description, null);
    assert.deepEqual(r.parents.map((p) => p.display), ['Chapter 4 (E00-E89)']);
    assert.deepEqual((await h['icd.detect']({ text: 'DM2 E11.9' }, ctx())).codes, []);
    assert.equal((await h['icd.detect']({ text: 'ICD-10: E11.9' }, ctx())).codes.length, 1);
    assert.deepEqual(await h['icd.search']({ query: 'diabetes' }, ctx()), { installed: false, items: [] });
  } finally {
    await svc.close();
  }
});

test('install from a folder, then lookup, search and detect use the new set at once', async () => {
  const svc = createIcdService(host(tempDir('handlers')));
  const h = svc.handlers;
  try {
    await h['icd.status']({}, ctx());
    const c = ctx();
    const s = await h['icd.install']({ kind: 'folder', path: RELEASE }, c);
    assert.equal(s.installed, true);
    assert.deepEqual(s.systems.map((x) => [x.system, x.codes]), [['icd10cm', 27], ['icd10pcs', 11], ['icd9cm-dx', 14], ['icd9cm-sg', 10]]);
    assert.ok(c.messages.some((m) => /Building/.test(m)));
    const r = (await h['icd.lookup']({ codes: ['S72.001A'] }, ctx())).results[0]!.readings[0]!;
    assert.equal(r.billable, true);
    assert.deepEqual(r.parents.map((p) => p.display), ['S72.001', 'S72.00', 'S72.0', 'S72', 'S70-S79', 'Chapter 19 (S00-T88)']);
    const pcs = (await h['icd.lookup']({ codes: ['0DTJ4ZZ'] }, ctx())).results[0]!.readings[0]!;
    assert.deepEqual(pcs.parents.map((p) => `${p.display} ${p.description}`), ['0DT Gastrointestinal System, Resection', 'Section 0 Medical and Surgical']);
    const hdr = (await h['icd.lookup']({ codes: ['E11'] }, ctx())).results[0]!.readings[0]!;
    assert.equal(hdr.billable, false);
    const found = await h['icd.detect']({ text: 'A/C DM2 (E11.9), BP 120/80' }, ctx());
    assert.deepEqual(found.codes.map((d) => [d.start, d.end, d.readings[0]!.description]), [[9, 14, 'Type 2 diabetes mellitus without complications']]);
    assert.deepEqual((await h['icd.search']({ query: 'appendectomy' }, ctx())).items.map((i) => i.display).sort(), ['47.01', '47.09']);
    assert.equal((await h['icd.search']({ query: 'lap append' }, ctx())).items[0]!.display, '47.01');
  } finally {
    await svc.close();
  }
});

test('bad requests are bad-input errors', async () => {
  const svc = createIcdService(host(tempDir('handlers')));
  const h = svc.handlers;
  try {
    await assert.rejects(h['icd.lookup']({ codes: 'E11.9' as unknown as string[] }, ctx()), (e: unknown) => e instanceof EngineError && e.code === 'bad-input');
    await assert.rejects(h['icd.detect']({ text: 42 as unknown as string }, ctx()), /needs text/);
    await assert.rejects(h['icd.install']({ kind: 'nope' } as never, ctx()), /icd.install needs/);
  } finally {
    await svc.close();
  }
});

test('a set installed by another window (or the CLI) is picked up without a restart', async () => {
  const dir = tempDir('handlers');
  const a = createIcdService(host(dir), { recheckMs: 0 });
  const b = createIcdService(host(dir), { recheckMs: 0 });
  try {
    assert.equal((await b.handlers['icd.status']({}, ctx())).installed, false);
    await a.handlers['icd.install']({ kind: 'folder', path: RELEASE }, ctx());
    assert.equal((await b.handlers['icd.status']({}, ctx())).installed, true);
    assert.equal((await b.handlers['icd.lookup']({ codes: ['I10'] }, ctx())).results[0]!.readings[0]!.description, 'Essential (primary) hypertension');
  } finally {
    await a.close();
    await b.close();
  }
});
