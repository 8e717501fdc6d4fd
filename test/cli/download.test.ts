import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTestModelFolder } from '../../src/engine/model/testModelFolder';
import { readManifest } from '../../src/engine/model/download/manifest';
import { HubServer } from '../engine/model/download/hubServer';

// The CLI as shipped (dist/cli.js), against a local Hub: spawned asynchronously, since the server runs in this process.
const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-cli-download-'));
let hub: HubServer;
const files: Record<string, Buffer> = {};

before(async () => {
  hub = await new HubServer().start();
  const src = path.join(tmp, 'src');
  makeTestModelFolder({ arch: 'bert', out: src });
  for (const name of fs.readdirSync(src)) files[name] = fs.readFileSync(path.join(src, name));
});
after(async () => {
  await hub.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, CMB_STORAGE_DIR: path.join(tmp, 'storage'), HF_ENDPOINT: hub.hubUrl, HF_TOKEN: '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}
const cmb = (args: string[], env?: NodeJS.ProcessEnv) => start(args, env).done;

test('cmb download fetches a model into storage and prints one JSON line; cmb info loads it', async () => {
  const repo = hub.setRepo('clinical/cli-bert', { files });
  const r = await cmb(['download', 'clinical/cli-bert']);
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out) as { dir: string; commit: string; files: number };
  assert.equal(result.dir, path.join(tmp, 'storage', 'models', 'clinical--cli-bert'));
  assert.equal(result.commit, repo.commit);
  assert.match(r.err, /Use it: cmb info --model /);
  const info = await cmb(['info', '--model', result.dir, '--provider', 'cpu']);
  assert.equal(info.code, 0, info.err);
  assert.equal((JSON.parse(info.out) as { architecture: string }).architecture, 'bert');
});

test('cmb download: usage errors exit 2 with one line; Hub errors exit 1 with one line', async () => {
  for (const args of [['download'], ['download', 'a/b', 'c/d'], ['download', 'a/b', '--frobnicate', 'x'], ['download', 'not a repo!']]) {
    const r = await cmb(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
  const missing = await cmb(['download', 'nobody/nothing']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^cmb download: The model repository nobody\/nothing was not found/);
  assert.equal(missing.err.trim().split('\n').length, 1);
  hub.setRepo('clinical/gated-cli', { files, gatedToken: 'hf_ok' });
  const gated = await cmb(['download', 'clinical/gated-cli']);
  assert.equal(gated.code, 1);
  assert.match(gated.err, /is gated/);
  const withToken = await cmb(['download', 'clinical/gated-cli', '--out', path.join(tmp, 'gated')], { HF_TOKEN: 'hf_ok' });
  assert.equal(withToken.code, 0, withToken.err);
  assert.ok(!withToken.err.includes('hf_ok') && !withToken.out.includes('hf_ok'), 'the token is never printed');
});

test('a cmb download killed mid-file leaves only a partial file; the next run resumes it and completes', async () => {
  const big = Buffer.alloc(3_000_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 253;
  hub.setRepo('clinical/killed', { files: { ...files, 'model.safetensors': big } });
  hub.faults = { slow: { path: 'model.safetensors', chunk: 32_768, everyMs: 10 } };
  const out = path.join(tmp, 'killed');
  const partial = path.join(out, 'model.safetensors.cmb-partial');
  const { child, done } = start(['download', 'clinical/killed', '--out', out]);
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (fs.existsSync(partial) && fs.statSync(partial).size > 500_000) {
        clearInterval(t);
        child.kill('SIGKILL');
        resolve();
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(t);
      reject(new Error('the download ended before it could be killed'));
    });
  });
  const killed = await done;
  assert.equal(killed.signal, 'SIGKILL');
  hub.faults = {};
  assert.ok(!fs.existsSync(path.join(out, 'model.safetensors')), 'nothing under the real name');
  const kept = fs.statSync(partial).size;
  assert.ok(kept > 0 && kept < big.length);
  assert.equal(readManifest(out)?.complete, false);
  hub.log.length = 0;
  const again = await cmb(['download', 'clinical/killed', '--out', out]);
  assert.equal(again.code, 0, again.err);
  assert.ok(hub.log.some((l) => l.range === `bytes=${kept}-`), `resumed from ${kept}: ${JSON.stringify(hub.log.map((l) => l.range))}`);
  assert.deepEqual(fs.readFileSync(path.join(out, 'model.safetensors')), big);
  assert.ok(!fs.existsSync(partial));
  assert.equal(readManifest(out)?.complete, true);
  assert.ok(!fs.existsSync(path.join(out, '.cmb-download.lock')), 'the killed run\'s lock was taken over and released');
});
