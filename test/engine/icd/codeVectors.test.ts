/**
 * Code embeddings and what uses them, with a fake embedder whose vectors are
 * known: build (incremental, resumable after cancel), suggestions from the
 * encoder side fused with words, and the ICD map (projected once, cached).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RequestContext } from '../../../src/engine/handlers';
import type { EngineHost } from '../../../src/engine/host';
import { createIcdService } from '../../../src/engine/icd/handlers';
import type { CodeEmbedder } from '../../../src/engine/icd/vectorHandlers';
import { codeVectorsFile } from '../../../src/engine/icd/codeVectors';
import { EngineError } from '../../../src/engine/errors';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import { RELEASE, tempDir } from './fixtures';

const DIMS = 16;
/** words of one concept share a dimension, so "broken hip" is near "Fracture of ... femur" without a shared word */
const CONCEPTS: Record<string, number> = { fracture: 0, femur: 0, broken: 0, hip: 0, diabetes: 1, sugar: 1, asthma: 2, wheezing: 2 };

/** a concept's unit vector when the text names one; else a unit vector from its words' hashes (dims 8..15) */
function knownVector(text: string): Float32Array {
  const v = new Float32Array(DIMS);
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const concept = words.map((w) => CONCEPTS[w]).find((c) => c !== undefined);
  if (concept !== undefined) v[concept] = 1;
  else {
    for (const w of words) {
      let h = 7;
      for (const ch of w) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      v[8 + (h % 8)] += 1;
    }
    const n = Math.hypot(...v) || 1;
    for (let i = 0; i < DIMS; i++) v[i] /= n;
    if (!words.length) v[8] = 1;
  }
  return v;
}

function fakeEmbedder(o: { key?: string; demo?: boolean; onEmbed?: (texts: string[]) => void } = {}): CodeEmbedder & { texts: string[] } {
  const e = {
    key: o.key ?? 'fake-encoder|mean',
    modelName: 'fake',
    modelPath: '/models/fake',
    dims: DIMS,
    demo: o.demo ?? false,
    texts: [] as string[],
    async embed(texts: string[]) {
      e.texts.push(...texts);
      o.onEmbed?.(texts);
      return texts.map(knownVector);
    },
  };
  return e;
}

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

async function installed(embedder: () => CodeEmbedder, embedBatch?: number) {
  const dir = tempDir('vectors');
  const svc = createIcdService(host(dir), { embedder, embedBatch });
  await svc.handlers['icd.install']({ kind: 'folder', path: RELEASE }, ctx());
  return { dir, svc, h: svc.handlers };
}

test('building embeds each code once with the template, user-only, and a second build embeds nothing', async () => {
  const e = fakeEmbedder();
  const { dir, svc, h } = await installed(() => e);
  try {
    const plan = await h['icd.embedPlan']({}, ctx());
    const cm = plan.systems.find((s) => s.system === 'icd10cm')!;
    assert.deepEqual([cm.codes, cm.billable, cm.embedded, cm.toEmbed, cm.toEmbedBillable], [27, 13, 0, 27, 13]);
    assert.ok(plan.secondsPerCode > 0);
    e.texts.length = 0;
    const c = ctx();
    const r = await h['icd.embed']({ systems: ['icd10cm'] }, c);
    assert.deepEqual([r.embedded, r.kept, r.removed], [27, 0, 0]);
    assert.ok(e.texts.includes('ICD 10 code for E11.9: Type 2 diabetes mellitus without complications'));
    assert.ok(c.messages.some((m) => /ICD-10-CM: 27 of 27 codes embedded/.test(m)));
    const file = codeVectorsFile(dir, e.key);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    e.texts.length = 0;
    const again = await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    assert.deepEqual([again.embedded, again.kept], [0, 27]);
    assert.equal(e.texts.length, 0);
    const after = (await h['icd.embedPlan']({}, ctx())).systems.find((s) => s.system === 'icd10cm')!;
    assert.deepEqual([after.embedded, after.toEmbed], [27, 0]);
    // another template is other text: every code is embedded again, in place
    const t = await h['icd.embed']({ systems: ['icd10cm'], template: '{code} {description}' }, ctx());
    assert.equal(t.embedded, 27);
    await assert.rejects(h['icd.embed']({ systems: ['icd10cm'], template: 'no placeholder' }, ctx()), /must contain/);
    await assert.rejects(h['icd.embed']({ systems: ['nope' as never] }, ctx()), (err: unknown) => err instanceof EngineError && err.code === 'bad-input');
    await assert.rejects(h['icd.embed']({ systems: [] }, ctx()), /at least one/);
  } finally {
    await svc.close();
  }
});

test('billable codes first; a cancelled build keeps what it finished and the next one goes on from there', async () => {
  const controller = new AbortController();
  let calls = 0;
  const e = fakeEmbedder({ onEmbed: () => ++calls === 2 && controller.abort() });
  const { svc, h } = await installed(() => e, 5);
  try {
    await assert.rejects(h['icd.embed']({ systems: ['icd10cm'] }, ctx(controller.signal)), (err: unknown) => err instanceof EngineError && err.code === 'cancelled');
    // the first two batches of 5 were written before the cancel was seen, billable codes first
    assert.ok(e.texts.slice(0, 10).every((t) => !/: (Type 2 diabetes mellitus|Cholera|Asthma|Heart failure)$/.test(t)), 'headers come after billable codes');
    const plan = (await h['icd.embedPlan']({}, ctx())).systems.find((s) => s.system === 'icd10cm')!;
    assert.equal(plan.embedded, 10);
    const rest = await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    assert.deepEqual([rest.embedded, rest.kept], [17, 10]);
  } finally {
    await svc.close();
  }
});

test('a new release: only new or changed descriptions are embedded, and codes it no longer has are removed', async () => {
  const e = fakeEmbedder();
  const { svc, h } = await installed(() => e);
  try {
    await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    const next = tempDir('release');
    const order = fs.readFileSync(path.join(RELEASE, 'icd10cm_order_2027.txt'), 'latin1').split(/\r?\n/);
    const changed = order
      .filter((l) => !/^\d{5} U071 /.test(l)) // COVID-19 gone
      .map((l) => (/^\d{5} J45909 /.test(l) ? l.replace(/Unspecified asthma, uncomplicated$/, 'Unspecified asthma, without complication') : l));
    fs.writeFileSync(path.join(next, 'icd10cm_order_2027.txt'), changed.join('\n'));
    await h['icd.install']({ kind: 'folder', path: next }, ctx());
    e.texts.length = 0;
    const r = await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    assert.deepEqual([r.embedded, r.kept, r.removed], [1, 25, 1]);
    assert.deepEqual(e.texts, ['ICD 10 code for J45.909: Unspecified asthma, without complication']);
  } finally {
    await svc.close();
  }
});

test('suggestions: the encoder finds codes in other words, fused with the words; without vectors, words only and why', async () => {
  const e = fakeEmbedder();
  const { svc, h } = await installed(() => e);
  try {
    const before = await h['icd.suggest']({ text: 'broken hip', systems: ['icd10cm'] }, ctx());
    assert.equal(before.wordsOnly, true);
    assert.match(before.reason!, /not embedded with this model yet/);
    assert.deepEqual(before.items, [], 'no description says "broken" or "hip"');

    await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    const r = await h['icd.suggest']({ text: 'broken hip', systems: ['icd10cm'], k: 5 }, ctx());
    assert.equal(r.wordsOnly, false);
    assert.equal(r.reason, undefined);
    assert.deepEqual(r.embedded, { codes: 27, total: 27 });
    assert.equal(r.items.length, 5);
    assert.ok(r.items.every((i) => i.code.startsWith('S72') && i.rankers.join() === 'encoder'), JSON.stringify(r.items.map((i) => i.code)));
    assert.ok(Math.abs(r.items[0]!.similarity! - 1) < 1e-6);
    assert.equal(r.items[0]!.chapter, 'Chapter 19 Injury, poisoning and certain other consequences of external causes');

    // both rankers: a code the words and the encoder both rank comes first
    const both = await h['icd.suggest']({ text: 'diabetes without complications', systems: ['icd10cm'] }, ctx());
    assert.equal(both.items[0]!.display, 'E11.9');
    assert.deepEqual(both.items[0]!.rankers, ['words', 'encoder']);
    assert.equal(both.items[0]!.billable, true);

    // a demo model: words only, and it says so
    const demo = createIcdService(host(svc === undefined ? '' : tempDir('demo')), { embedder: () => fakeEmbedder({ demo: true }) });
    await demo.handlers['icd.install']({ kind: 'folder', path: RELEASE }, ctx());
    const d = await demo.handlers['icd.suggest']({ text: 'Type 2 diabetes mellitus without complications' }, ctx());
    assert.equal(d.wordsOnly, true);
    assert.match(d.reason!, /demo \(random-weight\) model/);
    assert.equal(d.items[0]!.display, 'E11.9');
    await demo.close();

    await assert.rejects(h['icd.suggest']({ text: 7 as never }, ctx()), /needs text/);
    assert.deepEqual((await h['icd.suggest']({ text: '   ' }, ctx())).items, []);
  } finally {
    await svc.close();
  }
});

test('no model: suggestions from words, and building says to load a model', async () => {
  const svc = createIcdService(host(tempDir('nomodel')));
  try {
    const none = await svc.handlers['icd.suggest']({ text: 'asthma' }, ctx());
    assert.equal(none.installed, false);
    await svc.handlers['icd.install']({ kind: 'folder', path: RELEASE }, ctx());
    const r = await svc.handlers['icd.suggest']({ text: 'asthma' }, ctx());
    assert.equal(r.wordsOnly, true);
    assert.match(r.reason!, /No model is loaded/);
    assert.equal(r.items[0]!.display, 'J45.909', 'the billable code before its header');
    await assert.rejects(svc.handlers['icd.embed']({ systems: ['icd10cm'] }, ctx()), (e: unknown) => e instanceof EngineError && e.code === 'not-loaded');
  } finally {
    await svc.close();
  }
});

test('the map: every embedded code of a system, coloured by chapter, projected once and cached; the text placed near its codes', async () => {
  const e = fakeEmbedder();
  const { svc, h } = await installed(() => e);
  try {
    await assert.rejects(h['icd.map']({ system: 'icd10cm' }, ctx()), /Build ICD Code Embeddings first/);
    await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    const c = ctx();
    const m = await h['icd.map']({}, c);
    assert.equal(m.system, 'icd10cm');
    assert.equal(m.codes.length, 27);
    assert.equal(m.xy.length, 54);
    assert.ok([...m.xy].every(Number.isFinite));
    assert.equal(m.computed, true);
    assert.ok(c.messages.some((x) => /Projecting 27 ICD-10-CM codes/.test(x)));
    assert.deepEqual(m.legend.map((l) => l.label), ['Chapter 1', 'Chapter 4', 'Chapter 9', 'Chapter 10', 'Chapter 14', 'Chapter 15', 'Chapter 19', 'Chapter 20', 'Chapter 21', 'Chapter 22']);
    assert.equal(m.legend.reduce((n, l) => n + l.count, 0), 27);
    const e119 = m.codes.indexOf('E11.9');
    assert.equal(m.legend[m.chapters[e119]!]!.label, 'Chapter 4');
    assert.equal(m.descriptions[e119], 'Type 2 diabetes mellitus without complications');
    assert.equal(m.billable[e119], 1);

    const cached = await h['icd.map']({ system: 'icd10cm' }, ctx());
    assert.equal(cached.computed, false);
    assert.deepEqual([...cached.xy], [...m.xy]);

    const at = await h['icd.mapLocate']({ text: 'broken hip', system: 'icd10cm' }, ctx());
    assert.ok(at.neighbours.every((n) => n.code.startsWith('S72')));
    const fracture = m.codes.map((code, i) => [code, i] as const).filter(([code]) => code.startsWith('S72'));
    const xs = fracture.map(([, i]) => m.xy[2 * i]!);
    assert.ok(at.x >= Math.min(...xs) - 1e-3 && at.x <= Math.max(...xs) + 1e-3, 'the text lies among its nearest codes');

    const stored = await h['icd.maps']({}, ctx());
    assert.deepEqual(stored.map((s) => [s.modelName, s.system, s.points, s.current]), [['fake', 'icd10cm', 27, true]]);
    const other = await h['icd.map']({ system: 'icd10cm', modelKey: e.key }, ctx());
    assert.deepEqual(other.codes, m.codes);
    await assert.rejects(h['icd.map']({ system: 'icd10cm', modelKey: 'another' }, ctx()), /no stored ICD map/);
    await assert.rejects(h['icd.map']({ maxPoints: 1 }, ctx()), /between 3 and/);
    await assert.rejects(h['icd.mapLocate']({ text: '', system: 'icd10cm' }, ctx()), /Select some text/);
  } finally {
    await svc.close();
  }
});

test('a map larger than maxPoints shows the same sample each time', async () => {
  const e = fakeEmbedder();
  const { svc, h } = await installed(() => e);
  try {
    await h['icd.embed']({ systems: ['icd10cm'] }, ctx());
    const a = await h['icd.map']({ system: 'icd10cm', maxPoints: 10 }, ctx());
    assert.equal(a.codes.length, 10);
    assert.equal(a.total, 27);
    const b = await h['icd.map']({ system: 'icd10cm', maxPoints: 10 }, ctx());
    assert.deepEqual(b.codes, a.codes);
    assert.equal(b.computed, false);
  } finally {
    await svc.close();
  }
});
