// `npm run test:vscode`: the end-to-end scenarios through the VS Code API in desktop
// VS Code, with @vscode/test-electron. VS Code comes from VSCODE_BINARY (a `code`
// executable) or is downloaded when the machine is online. When neither is
// possible, or there is no display, it prints one line saying why and exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function notRun(why) {
  console.log(`test:vscode: not run: ${why}`);
  process.exit(0);
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

async function online() {
  try {
    const r = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(5000) });
    return r.ok;
  } catch {
    return false;
  }
}

const binary = process.env.VSCODE_BINARY;
if (binary && !existsSync(binary)) notRun(`VSCODE_BINARY=${binary} does not exist`);
if (!binary && !(await online())) notRun('no VS Code binary (set VSCODE_BINARY) and no internet connection to download one');

// Electron needs a display: use xvfb-run when there is none.
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.CMB_UNDER_XVFB) {
  if (!onPath('xvfb-run')) notRun('no display (DISPLAY is unset) and no xvfb-run (apt-get install xvfb)');
  const r = spawnSync('xvfb-run', ['-a', process.execPath, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, CMB_UNDER_XVFB: '1' },
  });
  process.exit(r.status ?? 1);
}

const { runTests } = await import('@vscode/test-electron');
const esbuild = await import('esbuild');

if (spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const outDir = join(root, 'out', 'vscode-tests');
await esbuild.build({
  entryPoints: [join(root, 'test', 'vscode', 'suite.ts')],
  outfile: join(outDir, 'suite.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
});

const model = join(root, 'models', 'demo');
if (!existsSync(join(model, 'config.json'))) {
  spawnSync(process.execPath, ['dist/cli.js', 'make-test-model', '--arch', 'modernbert', '--head', 'token', '--out', model], { cwd: root, stdio: 'inherit' });
}

const base = mkdtempSync(join(tmpdir(), 'cmb-vscode-'));
const userData = join(base, 'user-data');
const workspace = join(base, 'workspace');
mkdirSync(join(userData, 'User'), { recursive: true });
cpSync(join(root, 'demo', 'notes'), join(workspace, 'notes'), { recursive: true });
const icd = join(root, 'test', 'fixtures', 'icd');
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    ...(existsSync(join(model, 'config.json')) ? { 'clinicalModernbert.modelPath': model } : {}),
    ...(existsSync(icd) ? { 'clinicalModernbert.icd.localFolder': icd } : {}),
  }),
);

let code = 1;
try {
  code = await runTests({
    ...(binary ? { vscodeExecutablePath: binary } : {}),
    extensionDevelopmentPath: root,
    extensionTestsPath: join(outDir, 'suite.js'),
    extensionTestsEnv: { CMB_REPO_ROOT: root },
    launchArgs: [workspace, '--user-data-dir', userData, '--disable-extensions', '--disable-workspace-trust', '--no-sandbox', '--disable-gpu'],
  });
} catch (e) {
  console.error(`test:vscode: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  rmSync(base, { recursive: true, force: true });
}
process.exit(code);
