import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { createSession, int8KernelsSaturate, providerChain, validateBatch, feedsFor, webgpuUnavailableReason } from '../../../src/engine/model/session';
import { padBatch } from '../../../src/engine/model/batching';
import { EngineError } from '../../../src/engine/errors';

const fakeSession = {} as ort.InferenceSession;

test('auto tries cuda, then webgpu, then cpu; a forced provider is tried alone', () => {
  assert.deepEqual(providerChain('auto'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerChain('cpu'), ['cpu']);
  assert.deepEqual(providerChain('cuda'), ['cuda']);
});

test('a provider that fails to load is skipped and its reason reported', async () => {
  const tried: string[] = [];
  const logs: string[] = [];
  const r = await createSession('m.onnx', {
    provider: 'auto',
    threads: 2,
    log: (_l, m) => logs.push(m),
    create: async (_p, o) => {
      const ep = String(o.executionProviders?.[0]);
      tried.push(ep);
      assert.equal(o.intraOpNumThreads, 2);
      if (ep !== 'cpu') throw new Error(`${ep} provider library libonnxruntime_providers_${ep}.so not found\nstack...`);
      return fakeSession;
    },
  });
  assert.deepEqual(tried, ['cuda', 'webgpu', 'cpu']);
  assert.equal(r.provider, 'cpu');
  assert.equal(r.failures.length, 2);
  assert.match(r.failures[0].reason, /cuda provider library/);
  assert.doesNotMatch(r.failures[0].reason, /stack/);
  assert.ok(logs.some((l) => l.includes('webgpu did not load')));
});

test('a forced provider that fails is an error that says how to fix it', async () => {
  await assert.rejects(
    createSession('m.onnx', { provider: 'cuda', threads: 0, create: async () => { throw new Error('no CUDA'); } }),
    (e: unknown) => e instanceof EngineError && e.code === 'provider-failed' && /executionProvider/.test(e.message),
  );
});

const limits = { vocabSize: 100, maxPositions: 8, inputNames: ['input_ids', 'attention_mask'] };

test('valid batches pass validation and get zero token_type_ids when the graph wants them', () => {
  const b = padBatch([[2, 5, 3], [2, 3]], 0);
  validateBatch(b, limits);
  const feeds = feedsFor(b, ['input_ids', 'attention_mask', 'token_type_ids']);
  assert.deepEqual(feeds.token_type_ids.dims, [2, 3]);
  assert.ok(Array.from(feeds.token_type_ids.data as BigInt64Array).every((x) => x === 0n));
  assert.equal(feedsFor(b, ['input_ids', 'attention_mask']).token_type_ids, undefined);
});

test('inputs that would abort onnxruntime are refused before run()', () => {
  const bad = (f: () => void, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && re.test(e.message));
  bad(() => validateBatch(padBatch([[2, 100, 3]], 0), limits), /outside the vocabulary/);
  bad(() => validateBatch({ ...padBatch([[2, 3]], 0), inputIds: BigInt64Array.from([2n, -1n]) }, limits), /outside the vocabulary/);
  bad(() => validateBatch(padBatch([new Array(9).fill(1)], 0), limits), /exceeds the model's 8 positions/);
  const b = padBatch([[2, 3]], 0);
  bad(() => validateBatch({ ...b, batch: 2 }, limits), /expected 4 values/);
  bad(() => validateBatch({ ...b, attentionMask: BigInt64Array.from([1n, 2n]) }, limits), /0 or 1/);
  bad(() => validateBatch({ ...b, inputIds: new Int32Array(2) as unknown as BigInt64Array }, limits), /int64/);
  bad(() => validateBatch(b, { ...limits, inputNames: ['input_ids', 'attention_mask', 'position_ids'] }), /position_ids/);
});

test('WebGPU is skipped quietly on Linux without a Vulkan loader, and tried elsewhere', () => {
  assert.match(webgpuUnavailableReason('linux', { LD_LIBRARY_PATH: '/nonexistent' }) ?? 'present', /libvulkan|present/);
  assert.equal(webgpuUnavailableReason('win32', {}), undefined);
  assert.equal(webgpuUnavailableReason('darwin', {}), undefined);
});

test('int8 precision mode only where the CPU\'s int8 kernels can saturate: x64 without VNNI, or unknown', () => {
  const cpu = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: ${flags}\nbugs\t\t: sysret_ss_attrs\n`;
  assert.equal(int8KernelsSaturate('x64', cpu('fpu sse4_1 avx2 fma avx512f avx512bw avx512_vnni')), false, 'AVX-512 VNNI');
  assert.equal(int8KernelsSaturate('x64', cpu('fpu sse4_1 avx2 fma avx_vnni')), false, 'AVX-VNNI');
  assert.equal(int8KernelsSaturate('x64', cpu('fpu sse4_1 avx2 fma avx512f avx512bw')), true, 'AVX-512 without VNNI saturates');
  assert.equal(int8KernelsSaturate('x64', cpu('fpu sse4_1 avx2 fma')), true, 'AVX2 saturates');
  assert.equal(int8KernelsSaturate('x64', 'no flags line'), true, 'unknown: exact');
  assert.equal(int8KernelsSaturate('arm64', ''), false, 'ARM kernels do not saturate');
});

test('a GPU session that loads but fails on its first run falls back to the next provider, with the reason', async () => {
  const released: string[] = [];
  const session = (ep: string) =>
    ({
      run: async () => {
        if (ep === 'cuda') throw new Error('CUDA error cudaErrorNoKernelImageForDevice: no kernel image is available for execution on the device\n at ...');
        return {};
      },
      release: async () => void released.push(ep),
    }) as unknown as ort.InferenceSession;
  const logs: string[] = [];
  const r = await createSession('m.onnx', {
    provider: 'auto',
    threads: 0,
    log: (_l, m) => logs.push(m),
    create: async (_p, o) => session(String(o.executionProviders?.[0])),
    firstRun: async (s) => void (await s.run({})),
  });
  assert.equal(r.provider, 'webgpu');
  assert.deepEqual(r.failures.map((f) => f.provider), ['cuda']);
  assert.match(r.failures[0]!.reason, /^it loaded but failed on its first run: CUDA error cudaErrorNoKernelImageForDevice: no kernel image/);
  assert.doesNotMatch(r.failures[0]!.reason, /\n/);
  assert.deepEqual(released, ['cuda'], 'the failed session is released');
  assert.equal(logs.filter((l) => l.includes('first run')).length, 1, 'said once');

  // forced: the first-run failure is the error
  await assert.rejects(
    createSession('m.onnx', { provider: 'cuda', threads: 0, create: async () => session('cuda'), firstRun: async (s) => void (await s.run({})) }),
    (e: unknown) => e instanceof EngineError && e.code === 'provider-failed' && /failed on its first run/.test(e.message),
  );
  // the CPU is not probed: its first run is the caller's
  let cpuRuns = 0;
  await createSession('m.onnx', { provider: 'cpu', threads: 0, create: async () => session('cpu'), firstRun: async () => void cpuRuns++ });
  assert.equal(cpuRuns, 0);
});
