/**
 * Privacy: a process that runs a session through this engine writes none of
 * onnxruntime's telemetry files and makes no network call. Each check runs in a
 * child process whose environment lacks ORT_DISABLE_TELEMETRY (the engine must
 * set it itself) and whose HOME is a fresh folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTestModelFolder } from '../../../src/engine/model/testModelFolder';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-telemetry-'));
const model = path.join(tmp, 'model');
makeTestModelFolder({ arch: 'bert', out: model });

function childEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CMB_STORAGE_DIR: path.join(home, 'storage') };
  delete env.ORT_DISABLE_TELEMETRY;
  return env;
}

/** What onnxruntime's telemetry client leaves behind for a process. */
function telemetryTraces(pid: number | undefined, home: string): string[] {
  const found: string[] = [];
  const log = path.join('/tmp', `mat-debug-${pid}.log`);
  if (fs.existsSync(log)) found.push(log);
  const cache = path.join(home, '.cache', 'Microsoft');
  if (fs.existsSync(cache)) found.push(cache);
  return found;
}

test('the CLI creates a session and embeds without leaving telemetry files', () => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const r = spawnSync(process.execPath, [cli, 'embed', '--model', model, '--provider', 'cpu'], { input: '{"text":"Pt denies chest pain."}\n', env: childEnv(home) });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(telemetryTraces(r.pid, home), []);
});

test('the engine worker, started by the client as the extension does, leaves no telemetry files', () => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const script = `
    import { EngineClient } from ${JSON.stringify(path.join(root, 'src', 'engineClient.ts'))};
    import { defaultEngineSettings } from ${JSON.stringify(path.join(root, 'src', 'engine', 'coreProtocol.ts'))};
    const c = new EngineClient(${JSON.stringify(path.join(root, 'dist', 'engineWorker.js'))}, { log: () => {}, crashed: (r) => { console.error(r); process.exit(3); } }, { storageDir: ${JSON.stringify(path.join(home, 'storage'))} });
    await c.request('model.load', { path: ${JSON.stringify(model)}, settings: { ...defaultEngineSettings, executionProvider: 'cpu' } });
    await c.request('embed', { texts: ['Pt denies chest pain.'] });
    await c.dispose();
  `;
  const file = path.join(home, 'client.mts');
  fs.writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { env: childEnv(home), cwd: root });
  assert.equal(r.status, 0, r.stderr.toString());
  assert.deepEqual(telemetryTraces(r.pid, home), []);
});

// The telemetry client's first network call (a DNS lookup) comes about 10 s after
// the session is created; the process stays alive past that under strace.
const strace = spawnSync('strace', ['-V']).status === 0;
test('a session makes no network call in the 13 s after it is created', { skip: strace ? false : 'strace is not installed (apt-get install strace)' }, async () => {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const trace = path.join(home, 'strace.txt');
  const script = `
    import { loadModel } from ${JSON.stringify(path.join(root, 'src', 'engine', 'model', 'loadModel.ts'))};
    import { defaultEngineSettings } from ${JSON.stringify(path.join(root, 'src', 'engine', 'coreProtocol.ts'))};
    await loadModel(${JSON.stringify(model)}, { ...defaultEngineSettings, executionProvider: 'cpu', cacheDir: '' }, {});
    setTimeout(() => process.exit(0), 13000);
  `;
  const file = path.join(home, 'session.mts');
  fs.writeFileSync(file, script);
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn('strace', ['-f', '-e', 'trace=network', '-o', trace, process.execPath, '--import', 'tsx', file], { env: childEnv(home), cwd: root, stdio: 'inherit' });
    p.on('exit', resolve);
  });
  assert.equal(code, 0);
  // local sockets (AF_UNIX: Node's own plumbing) are fine; any internet socket is not
  const calls = fs.readFileSync(trace, 'utf8').split('\n').filter((l) => /AF_INET|sin_port|sin6_port/.test(l));
  assert.deepEqual(calls, []);
});
