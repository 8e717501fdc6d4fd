import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadModel } from '../../../../src/engine/model/download/downloadModel';
import type { DownloadModelRequest } from '../../../../src/engine/model/download/protocol';
import { listDownloadedModels, readManifest, MANIFEST_FILE } from '../../../../src/engine/model/download/manifest';
import { EngineError } from '../../../../src/engine/errors';
import { makeTestModelFolder } from '../../../../src/engine/model/testModelFolder';
import { HubServer, gitBlobId, sha256 } from './hubServer';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-download-'));
let hub: HubServer;

/** a tiny real model folder's files, plus what the engine does not need */
function modelFiles(): Record<string, Buffer> {
  const dir = path.join(tmp, `src-${Math.random().toString(36).slice(2)}`);
  makeTestModelFolder({ arch: 'modernbert', out: dir });
  const files: Record<string, Buffer> = {};
  for (const name of fs.readdirSync(dir)) if (fs.statSync(path.join(dir, name)).isFile()) files[name] = fs.readFileSync(path.join(dir, name));
  return files;
}
const MODEL = modelFiles();
const EXTRAS = {
  'pytorch_model.bin': Buffer.alloc(3000, 1),
  'onnx/model_fp16.onnx': Buffer.alloc(2000, 2),
  'training_args.bin': Buffer.alloc(100, 3),
  'README.md': '# a model card\n',
  '.gitattributes': '*.safetensors filter=lfs\n',
};

before(async () => {
  hub = await new HubServer().start();
});
after(async () => {
  await hub.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function storage(): string {
  return fs.mkdtempSync(path.join(tmp, 'storage-'));
}

const net = { idleMs: 2000, retryDelayMs: 5 };
const env = (): NodeJS.ProcessEnv => ({ HF_ENDPOINT: hub.hubUrl });

async function get(req: DownloadModelRequest, storageDir = storage(), progress?: (m: string) => void) {
  return downloadModel(req, { storageDir, env: env(), net, progress: progress ? (p) => progress(p.message) : undefined });
}

/** every file under dir, relative, sorted */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function noHalfFiles(dir: string): void {
  for (const f of tree(dir)) {
    assert.ok(!f.endsWith('.cmb-partial'), `a partial file was left: ${f}`);
    const name = path.basename(f);
    if (name in MODEL) assert.deepEqual(fs.readFileSync(path.join(dir, f)), MODEL[name], `${f} differs from the repository`);
  }
}

const rejectsWith = (code: string, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof EngineError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, re);
  assert.ok(!e.message.includes('\n'), 'one line');
  return true;
};

test('downloads only the files the engine needs, verified, pinned to one commit, and records them', async () => {
  const repo = hub.setRepo('clinical/tiny-modernbert', { files: { ...MODEL, ...EXTRAS } });
  hub.pageSize = 2; // several pages of the tree
  const s = storage();
  const progress: string[] = [];
  hub.log.length = 0;
  const r = await get({ repo: 'clinical/tiny-modernbert' }, s, (m) => progress.push(m));
  assert.equal(r.dir, path.join(s, 'models', 'clinical--tiny-modernbert'));
  assert.equal(r.commit, repo.commit);
  assert.deepEqual(tree(r.dir), [MANIFEST_FILE, ...Object.keys(MODEL)].sort());
  noHalfFiles(r.dir);
  assert.equal(r.reused, 0);
  assert.equal(r.fetched, r.bytes);
  // every content request names the commit, never the branch
  const resolves = hub.log.filter((l) => l.url.includes('/resolve/'));
  assert.equal(resolves.length, Object.keys(MODEL).length);
  for (const l of resolves) assert.ok(l.url.includes(`/resolve/${repo.commit}/`), l.url);
  assert.ok(hub.log.filter((l) => l.url.includes('/tree/')).length >= 3, 'the tree was read page by page');
  const m = readManifest(r.dir)!;
  assert.equal(m.complete, true);
  assert.equal(m.commit, repo.commit);
  assert.equal(m.revision, 'main');
  const st = m.files.find((f) => f.path === 'model.safetensors')!;
  assert.equal(st.sha256, sha256(MODEL['model.safetensors']!));
  assert.equal(m.files.find((f) => f.path === 'config.json')!.gitBlobSha1, gitBlobId(MODEL['config.json']!));
  if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(r.dir, 'model.safetensors')).mode & 0o777, 0o600);
  assert.ok(progress.some((p) => /model\.safetensors \(\d\/\d\): .* of /.test(p)), progress.join('\n'));
  assert.deepEqual(listDownloadedModels(s).map((d) => [d.repo, d.complete]), [['clinical/tiny-modernbert', true]]);

  // a second run finds everything in place and fetches nothing
  hub.log.length = 0;
  const again = await get({ repo: 'clinical/tiny-modernbert' }, s);
  assert.equal(again.fetched, 0);
  assert.equal(again.reused, Object.keys(MODEL).length);
  assert.equal(hub.log.filter((l) => l.url.includes('/resolve/')).length, 0);
  hub.pageSize = 3;
});

test('a token goes to the Hub but never follows the redirect to the CDN; a gated repository says what to do', async () => {
  hub.setRepo('clinical/gated', { files: MODEL, gatedToken: 'hf_right' });
  await assert.rejects(get({ repo: 'clinical/gated' }), rejectsWith('auth-required', /is gated: accept its conditions on http:\/\/127\.0\.0\.1:\d+\/clinical\/gated .*HF_TOKEN/));
  await assert.rejects(get({ repo: 'clinical/gated', token: 'hf_wrong' }), rejectsWith('auth-required', /has not been granted access/));
  hub.log.length = 0;
  const s = storage();
  const r = await get({ repo: 'clinical/gated', token: 'hf_right' }, s);
  noHalfFiles(r.dir);
  assert.ok(hub.log.filter((l) => l.server === 'hub').every((l) => l.authorization), 'the Hub got the token');
  const cdn = hub.log.filter((l) => l.server === 'cdn');
  assert.ok(cdn.length > 0);
  assert.ok(cdn.every((l) => !l.authorization), 'the CDN never sees the token');
  // the token is nowhere on disk
  for (const f of tree(r.dir)) assert.ok(!fs.readFileSync(path.join(r.dir, f)).includes('hf_right'), f);
});

test('unknown repository, unknown revision, private repository: one clear line each, nothing written', async () => {
  const s = storage();
  await assert.rejects(get({ repo: 'nobody/nothing' }, s), rejectsWith('auth-required', /nobody\/nothing was not found .*check the name.*private repository needs a token/));
  await assert.rejects(get({ repo: 'nobody/nothing', token: 'hf_x' }, s), rejectsWith('download-failed', /was not found .*or your token cannot see it/));
  hub.setRepo('clinical/private', { files: MODEL, privateToken: 'hf_mine' });
  await assert.rejects(get({ repo: 'clinical/private' }, s), rejectsWith('auth-required', /not found/));
  assert.equal((await get({ repo: 'clinical/private', token: 'hf_mine' }, s)).files, Object.keys(MODEL).length);
  await assert.rejects(get({ repo: 'clinical/private', revision: 'v9', token: 'hf_mine' }, s), rejectsWith('download-failed', /has no revision "v9"/));
  await assert.rejects(get({ repo: '../etc/passwd' }, s), rejectsWith('bad-input', /not a Hugging Face model id/));
  assert.ok(!fs.existsSync(path.join(s, 'models', 'nobody--nothing')));
});

test('a repository with only pytorch_model.bin is refused with the reason and the way out, before any download', async () => {
  const { 'model.safetensors': _weights, ...rest } = MODEL;
  hub.setRepo('emily/bio-bert', { files: { ...rest, 'pytorch_model.bin': Buffer.alloc(5000, 7) } });
  hub.log.length = 0;
  await assert.rejects(get({ repo: 'emily/bio-bert' }), rejectsWith('pickle-refused', /only pytorch_model\.bin.*arbitrary code.*save_pretrained.*--revision refs\/pr\/N/));
  assert.equal(hub.log.filter((l) => l.url.includes('/resolve/')).length, 0);
  hub.setRepo('emily/no-config', { files: { 'model.safetensors': MODEL['model.safetensors']! } });
  await assert.rejects(get({ repo: 'emily/no-config' }), rejectsWith('download-failed', /no config\.json/));
});

test('a connection dropped mid-file resumes with a Range request and does not fetch the file twice', async () => {
  hub.setRepo('clinical/flaky', { files: MODEL });
  const size = MODEL['model.safetensors']!.length;
  hub.faults = { drop: { path: 'model.safetensors', afterBytes: Math.floor(size * 0.4), times: 2 } };
  hub.log.length = 0;
  const r = await get({ repo: 'clinical/flaky' });
  hub.faults = {};
  noHalfFiles(r.dir);
  const ranges = hub.log.filter((l) => l.server === 'cdn' && l.range).map((l) => l.range);
  assert.equal(ranges.length, 2, JSON.stringify(hub.log.filter((l) => l.server === 'cdn')));
  assert.match(ranges[0]!, /^bytes=\d+-$/);
  assert.ok(r.fetched < size * 1.05 + 10_000, `fetched ${r.fetched} for a ${size}-byte file`);
});

test('a server that ignores Range, and a 503 before the answer, still give the right file', async () => {
  hub.setRepo('clinical/norange', { files: MODEL });
  hub.faults = { ignoreRange: true, drop: { path: 'model.safetensors', afterBytes: 1000, times: 1 }, unavailable: { path: 'tokenizer.json', times: 2 } };
  const r = await get({ repo: 'clinical/norange' });
  hub.faults = {};
  noHalfFiles(r.dir);
});

test('bytes that do not match the sha256 are discarded: retried once, then one clear line, never a corrupt file', async () => {
  hub.setRepo('clinical/corrupt', { files: MODEL });
  hub.faults = { corrupt: { path: 'model.safetensors', times: 1 } };
  const fixed = await get({ repo: 'clinical/corrupt' });
  noHalfFiles(fixed.dir);

  hub.faults = { corrupt: { path: 'model.safetensors', times: Infinity } };
  const s = storage();
  await assert.rejects(get({ repo: 'clinical/corrupt' }, s), rejectsWith('download-failed', /model\.safetensors did not match its sha256 twice, so it was discarded/));
  hub.faults = {};
  const dir = path.join(s, 'models', 'clinical--corrupt');
  assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors')));
  assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors.cmb-partial')));
  assert.equal(readManifest(dir)?.complete, false);
  noHalfFiles(dir);

  // a small (non-LFS) file is checked against its git blob id
  hub.faults = { corrupt: { path: 'config.json', times: Infinity } };
  await assert.rejects(get({ repo: 'clinical/corrupt' }, storage()), rejectsWith('download-failed', /config\.json did not match its git blob id/));
  hub.faults = {};
});

test('cancelling keeps the partial file under a temporary name; the next run resumes it', async () => {
  const big = Buffer.alloc(2_000_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  hub.setRepo('clinical/slow', { files: { ...MODEL, 'model.safetensors': big } });
  hub.faults = { slow: { path: 'model.safetensors', chunk: 32_768, everyMs: 10 } };
  const s = storage();
  const dir = path.join(s, 'models', 'clinical--slow');
  const controller = new AbortController();
  const partial = path.join(dir, 'model.safetensors.cmb-partial');
  const watch = setInterval(() => {
    if ((fs.existsSync(partial) ? fs.statSync(partial).size : 0) > 300_000) controller.abort();
  }, 5);
  const run = downloadModel({ repo: 'clinical/slow' }, { storageDir: s, env: env(), net, signal: controller.signal });
  await assert.rejects(run, rejectsWith('cancelled', /cancelled; run the download again to resume/));
  clearInterval(watch);
  assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors')), 'no file under the real name');
  const kept = fs.statSync(partial).size;
  assert.ok(kept > 300_000 && kept < big.length, `partial holds ${kept}`);
  hub.faults = {};
  hub.log.length = 0;
  const r = await get({ repo: 'clinical/slow' }, s);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'model.safetensors')), big);
  assert.ok(hub.log.some((l) => l.range === `bytes=${kept}-`), 'resumed from the partial size');
  assert.equal(r.fetched, big.length - kept);
  assert.ok(!fs.existsSync(partial));
});

test('sharded checkpoints: the index decides the shards; a renamed repository is followed on the same host', async () => {
  const st = MODEL['model.safetensors']!;
  const { 'model.safetensors': _single, ...rest } = MODEL;
  const index = JSON.stringify({ metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } });
  hub.setRepo('clinical/sharded', {
    files: { ...rest, 'model.safetensors.index.json': index, 'model-00001-of-00002.safetensors': st.subarray(0, 100), 'model-00002-of-00002.safetensors': st.subarray(100), 'optimizer.safetensors': Buffer.alloc(10) },
    lfs: (p) => p.endsWith('.safetensors'),
  });
  hub.renamed.set('old-owner/sharded', 'clinical/sharded');
  const s = storage();
  const r = await get({ repo: 'old-owner/sharded' }, s);
  assert.deepEqual(tree(r.dir).filter((f) => f.endsWith('.safetensors')), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.equal(Buffer.concat([fs.readFileSync(path.join(r.dir, 'model-00001-of-00002.safetensors')), fs.readFileSync(path.join(r.dir, 'model-00002-of-00002.safetensors'))]).equals(st), true);
  assert.equal(readManifest(r.dir)?.complete, true);
  assert.ok(!fs.existsSync(path.join(r.dir, 'optimizer.safetensors')), 'only the shards the index names');
});

test('a new commit replaces what changed and removes weights the new commit no longer has', async () => {
  const s = storage();
  const dir = path.join(s, 'models', 'clinical--moving');
  const { 'model.safetensors': _w, ...noSafetensors } = MODEL;
  hub.setRepo('clinical/moving', { files: { ...noSafetensors, 'onnx/model.onnx': Buffer.alloc(10, 1) }, lfs: (p) => p.endsWith('.onnx') });
  await get({ repo: 'clinical/moving' }, s).catch(() => undefined); // a 10-byte "ONNX file" does not load; the files are in place
  assert.ok(fs.existsSync(path.join(dir, 'onnx', 'model.onnx')));
  const newConfig = Buffer.from(MODEL['config.json']!.toString('utf8').replace('{', '{"note": "v2",'));
  hub.setRepo('clinical/moving', { files: { ...MODEL, 'config.json': newConfig } });
  hub.log.length = 0;
  const r = await get({ repo: 'clinical/moving' }, s);
  assert.ok(!fs.existsSync(path.join(dir, 'onnx', 'model.onnx')), 'stale ONNX weights removed');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'config.json')), newConfig);
  const fetchedPaths = hub.log.filter((l) => l.url.includes('/resolve/')).map((l) => decodeURIComponent(l.url.split('/').pop()!));
  assert.deepEqual(fetchedPaths.sort(), ['config.json', 'model.safetensors']);
  assert.equal(r.reused, Object.keys(MODEL).length - 2);
});

test('the disk space is checked before anything is fetched', async () => {
  const s = storage();
  hub.setRepo('clinical/huge', { files: MODEL });
  // the listing claims a file far larger than any disk; the check refuses before any download
  const realTree = (hub as unknown as { treeEntries(r: unknown): Array<Record<string, unknown>> }).treeEntries.bind(hub);
  (hub as unknown as { treeEntries(r: unknown): unknown }).treeEntries = (r: unknown) => realTree(r).map((e) => (e.path === 'model.safetensors' ? { ...e, size: 2 ** 52, lfs: { ...(e.lfs as object), size: 2 ** 52 } } : e));
  hub.log.length = 0;
  try {
    await assert.rejects(get({ repo: 'clinical/huge' }, s), rejectsWith('download-failed', /needs 4503599\.63 GB but .* free; free some space/));
  } finally {
    (hub as unknown as { treeEntries: unknown }).treeEntries = realTree;
  }
  assert.equal(hub.log.filter((l) => l.url.includes('/resolve/')).length, 0);
});

test('an --out folder is used as given; a second download into the same folder waits its turn', async () => {
  hub.setRepo('clinical/out', { files: MODEL });
  hub.faults = { slow: { path: 'model.safetensors', chunk: 50_000, everyMs: 20 } };
  const out = path.join(tmp, 'chosen-folder');
  const first = get({ repo: 'clinical/out', out });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(get({ repo: 'clinical/out', out }), rejectsWith('download-failed', /Another download into .* is running/));
  const r = await first;
  hub.faults = {};
  assert.equal(r.dir, out);
  noHalfFiles(out);
});

test('a file listed but gone when fetched is one clear line; nothing is left under its name', async () => {
  hub.setRepo('clinical/vanishing', { files: MODEL });
  hub.faults = { vanished: 'tokenizer.json' };
  const s = storage();
  await assert.rejects(get({ repo: 'clinical/vanishing' }, s), rejectsWith('download-failed', /clinical\/vanishing has no file tokenizer\.json at revision "main"; it may have been removed during the download/));
  hub.faults = {};
  const dir = path.join(s, 'models', 'clinical--vanishing');
  assert.ok(!fs.existsSync(path.join(dir, 'tokenizer.json')));
  noHalfFiles(dir);
});

test('a proxy given by the caller (VS Code\'s http.proxy) carries the API calls and the file transfers', async () => {
  const seen: string[] = [];
  const proxy = http.createServer((q, res) => {
    seen.push(q.url ?? '');
    const u = new URL(q.url ?? '');
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: q.method, headers: q.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    q.pipe(up);
  });
  proxy.on('connection', (c) => c.unref());
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    hub.setRepo('clinical/proxied', { files: MODEL });
    const r = await downloadModel({ repo: 'clinical/proxied', proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, { storageDir: storage(), env: env(), net });
    noHalfFiles(r.dir);
    assert.ok(seen.some((u) => u.includes('/api/models/clinical/proxied/revision/main')));
    assert.ok(seen.some((u) => u.startsWith(hub.cdnUrl)), 'the CDN transfer went through the proxy too');
  } finally {
    proxy.close();
  }
});
