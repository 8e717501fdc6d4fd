// `npm start [-- --model DIR] [--codesets DIR] [--code-server] [--port N]`
//
// Builds the extension, makes the tiny demo model in models/demo when it is missing,
// and opens demo/ with the extension:
//   - desktop VS Code (`code --extensionDevelopmentPath=<repo> demo`) when `code` is on PATH,
//   - otherwise code-server on 127.0.0.1 (installed into .e2e/code-server on first use),
//     printing the URL to open in a browser.
// Both use their own user-data folder under .e2e/start/, whose settings.json carries
// clinicalModernbert.modelPath (--model, else models/demo) and
// clinicalModernbert.icd.localFolder (--codesets), so your own VS Code profile is untouched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const state = join(root, '.e2e', 'start');

function parseArgs(argv) {
  const o = { model: undefined, codesets: undefined, codeServer: false, port: 0, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') o.model = resolve(argv[++i]);
    else if (a === '--codesets') o.codesets = resolve(argv[++i]);
    else if (a === '--code-server') o.codeServer = true;
    else if (a === '--port') o.port = Number(argv[++i]);
    // --check: start code-server, confirm it serves the workbench, stop (used by CI)
    else if (a === '--check') o.check = o.codeServer = true;
    else if (a === '-h' || a === '--help') {
      console.log('npm start [-- --model DIR] [--codesets DIR] [--code-server] [--port N]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see npm start -- --help)`);
  }
  for (const [flag, dir] of [['--model', o.model], ['--codesets', o.codesets]]) {
    if (dir && !existsSync(dir)) throw new Error(`${flag} ${dir}: no such folder`);
  }
  return o;
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

function run(cmd, args) {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function writeSettings(userDataDir, opts) {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  const file = join(userDataDir, 'User', 'settings.json');
  let settings = {};
  try {
    settings = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first start, or a file edited into something that is not plain JSON: start over
  }
  settings['workbench.startupEditor'] ??= 'none';
  // demo/ sits inside this repository; the Git extension would offer to open it
  settings['git.openRepositoryInParentFolders'] ??= 'never';
  const demoModel = join(root, 'models', 'demo');
  const model = opts.model ?? (existsSync(join(demoModel, 'config.json')) ? demoModel : undefined);
  if (model) settings['clinicalModernbert.modelPath'] = model;
  if (opts.codesets) settings['clinicalModernbert.icd.localFolder'] = opts.codesets;
  writeFileSync(file, JSON.stringify(settings, null, 2));
  return { model, codesets: opts.codesets };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const demo = join(root, 'demo');

  if (run(process.execPath, ['esbuild.mjs']).status !== 0) throw new Error('the build failed');

  if (!opts.model && !existsSync(join(root, 'models', 'demo', 'config.json'))) {
    const r = run(process.execPath, ['dist/cli.js', 'make-test-model', '--arch', 'modernbert', '--head', 'token', '--out', 'models/demo']);
    if (r.status !== 0 || !existsSync(join(root, 'models', 'demo', 'config.json'))) {
      console.warn('\nstart: WARNING: could not make the demo model (dist/cli.js make-test-model failed); the extension opens without a model.\n');
    }
  }

  if (!opts.codeServer && onPath('code')) {
    const userDataDir = join(state, 'vscode-user-data');
    const { model } = writeSettings(userDataDir, opts);
    console.log(`start: opening demo/ in VS Code with the extension from ${root}${model ? ` and the model ${model}` : ''}`);
    const r = run('code', ['--user-data-dir', userDataDir, `--extensionDevelopmentPath=${root}`, demo]);
    process.exit(r.status ?? 1);
  }

  if (run('bash', ['scripts/setup-code-server.sh']).status !== 0) throw new Error('code-server could not be installed (see above)');
  const bin = join(root, '.e2e', 'code-server', 'node_modules', '.bin', 'code-server');
  const userDataDir = join(state, 'code-server-user-data');
  const extensionsDir = join(state, 'code-server-extensions');
  const { model } = writeSettings(userDataDir, opts);

  // code-server has no --extensionDevelopmentPath: the repository itself is linked in as the
  // installed extension, so a rebuild (npm run build) and a window reload pick up changes.
  mkdirSync(extensionsDir, { recursive: true });
  for (const d of readdirSync(extensionsDir)) {
    if (d.startsWith(`${manifest.publisher}.${manifest.name}-`) || d === 'extensions.json' || d === '.obsolete') rmSync(join(extensionsDir, d), { recursive: true, force: true });
  }
  const link = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { force: true });
  symlinkSync(root, link, 'dir');

  const configFile = join(state, 'code-server.yaml');
  writeFileSync(configFile, 'auth: none\n');
  const port = opts.port || (await freePort());
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}`;
  const child = spawn(
    bin,
    [
      '--config', configFile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      // demo/ is this repository's own folder
      '--disable-workspace-trust',
      demo,
    ],
    { stdio: opts.check ? ['ignore', 'pipe', 'pipe'] : 'inherit' },
  );
  const stop = () => child.exitCode === null && child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not yet listening
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('code-server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`\nstart: Clinical ModernBERT demo in code-server${model ? ` (model ${model})` : ''}:\n\n    ${url}\n\nOpen it in a browser on this machine; Ctrl+C stops the server.\n`);
  if (opts.check) {
    const page = await fetch(url);
    const ok = page.ok && (await page.text()).includes('workbench');
    stop();
    if (!ok) throw new Error(`code-server answered ${page.status} without a workbench page`);
    console.log('start: check passed (code-server served the workbench)');
    return;
  }
  await new Promise((r) => child.once('exit', r));
}

main().catch((e) => {
  console.error(`start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
