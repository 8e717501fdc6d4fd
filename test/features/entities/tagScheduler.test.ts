import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TagScheduler, type TaggedDocument } from '../../../src/features/entities/tagScheduler';
import type { TagParams, TagResult } from '../../../src/engine/tasks/protocol';
import { EngineError } from '../../../src/engine/errors';

function doc(text: string): TaggedDocument & { edit(t: string): void } {
  let version = 1;
  let current = text;
  return {
    key: 'file:///note.txt',
    version: () => version,
    text: () => current,
    visibleRange: () => ({ start: 0, end: 10 }),
    edit(t) {
      current = t;
      version++;
    },
  };
}

function result(p: TagParams, complete = true): TagResult {
  return { version: p.version, spans: [], model: 'none', complete, blocksRun: 0, blocksReused: 0 };
}

function harness(tag: (p: TagParams, signal: AbortSignal) => Promise<TagResult>, longNoteChars = 1000) {
  const timers: Array<{ fn: () => void; cleared: boolean }> = [];
  const applied: TagResult[] = [];
  const failures: unknown[] = [];
  const s = new TagScheduler({
    debounceMs: () => 300,
    longNoteChars,
    params: () => ({ merge: 'modelFirst' }),
    tag,
    apply: (_k, r) => applied.push(r),
    failed: (_k, e) => failures.push(e),
    setTimer: (fn) => {
      const t = { fn, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (h) => ((h as { cleared: boolean }).cleared = true),
  });
  const fire = async () => {
    for (const t of timers.splice(0)) if (!t.cleared) t.fn();
    await new Promise((r) => setImmediate(r));
  };
  return { s, applied, failures, fire };
}

test('edits are debounced: three quick edits make one request, for the last version', async () => {
  const calls: TagParams[] = [];
  const h = harness(async (p) => (calls.push(p), result(p)));
  const d = doc('fever');
  for (const t of ['fever.', 'fever. N', 'fever. No']) {
    d.edit(t);
    h.s.schedule(d);
  }
  await h.fire();
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.text, 'fever. No');
  assert.equal(calls[0]!.version, 4);
  assert.equal(h.applied.length, 1);
});

test('a result for an outdated version is dropped, and the newer request cancels the older', async () => {
  const signals: AbortSignal[] = [];
  const pending: Array<() => void> = [];
  const release = () => pending.splice(0).forEach((r) => r());
  const h = harness((p, signal) => {
    signals.push(signal);
    return new Promise((resolve) => pending.push(() => resolve(result(p))));
  });
  const d = doc('No fever.');
  const first = h.s.now(d);
  d.edit('No fever today.');
  release(); // the old request answers after the edit
  await first;
  assert.equal(h.applied.length, 0);
  const second = h.s.now(d);
  assert.equal(signals[0]!.aborted, false);
  const third = h.s.now(d);
  assert.equal(signals[1]!.aborted, true);
  release();
  await Promise.all([second, third]);
  assert.equal(h.applied.length, 1);
  assert.equal(h.applied[0]!.version, d.version());
});

test('a long note is tagged in the visible range first, then in full', async () => {
  const calls: TagParams[] = [];
  const h = harness(async (p) => (calls.push(p), result(p, !p.range)), 20);
  await h.s.now(doc('x'.repeat(50)));
  assert.deepEqual(calls.map((c) => c.range), [{ start: 0, end: 10 }, undefined]);
  assert.equal(h.applied.length, 2);
  // a short note goes in one request
  calls.length = 0;
  await h.s.now(doc('short'));
  assert.deepEqual(calls.map((c) => c.range), [undefined]);
});

test('cancellations are silent; other failures are reported', async () => {
  const h = harness(async () => {
    throw new EngineError('cancelled', 'Cancelled.');
  });
  await h.s.now(doc('x'));
  assert.equal(h.failures.length, 0);
  const g = harness(async () => {
    throw new EngineError('internal', 'boom');
  });
  await g.s.now(doc('x'));
  assert.equal(g.failures.length, 1);
});

test('cancel() stops a pending debounce', async () => {
  const calls: TagParams[] = [];
  const h = harness(async (p) => (calls.push(p), result(p)));
  const d = doc('x');
  h.s.schedule(d);
  h.s.cancel(d.key);
  await h.fire();
  assert.equal(calls.length, 0);
});
