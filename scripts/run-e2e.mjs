// End-to-end tests in real VS Code: `npm run test:e2e [-- --vsix FILE] [name filter...]`.
//
// 1. installs code-server into .e2e/code-server (scripts/setup-code-server.sh; as root it
//    also apt-get installs chromium and the packages the recipe needs),
// 2. packages the VSIX (scripts/package.mjs) unless --vsix or E2E_VSIX names one,
// 3. makes the tiny demo model in models/demo when missing (dist/cli.js make-test-model),
// 4. runs test/e2e/*.test.ts with node's test runner: each file starts code-server with a
//    fresh user-data dir and a fresh extensions dir holding the VSIX, and drives it with
//    playwright-core and /usr/bin/chromium.
// Screenshots and the workbench logs go to test-results/e2e/; the last line is
// "e2e: N passed, N failed, N skipped" and the exit status is non-zero on failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, 'test-results', 'e2e');

function step(name, fn) {
  const t0 = Date.now();
  const r = fn();
  console.log(`e2e: ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
}

const argv = process.argv.slice(2);
let vsix = process.env.E2E_VSIX ? resolve(process.env.E2E_VSIX) : undefined;
const filters = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--vsix') vsix = resolve(argv[++i]);
  else filters.push(argv[i]);
}

rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

const setup = step('code-server setup', () => run('bash', ['scripts/setup-code-server.sh']));
if (setup.status !== 0) {
  console.error('e2e: code-server could not be installed (see above)');
  console.log('e2e: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`e2e: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
  console.log('e2e: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

if (!vsix) {
  const out = join(root, '.e2e', 'vsix');
  rmSync(out, { recursive: true, force: true });
  const r = step('packaging the VSIX', () => run(process.execPath, ['scripts/package.mjs', '--out', out]));
  if (r.status !== 0) {
    console.error('e2e: packaging failed');
    console.log('e2e: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  vsix = join(out, readdirSync(out).find((f) => f.endsWith('.vsix')));
}
console.log(`e2e: testing ${vsix}`);

const model = join(root, 'models', 'demo');
if (!existsSync(join(model, 'config.json'))) {
  const r = step('making the demo model', () =>
    run(process.execPath, ['dist/cli.js', 'make-test-model', '--arch', 'modernbert', '--head', 'token', '--out', model]),
  );
  if (r.status !== 0 || !existsSync(join(model, 'config.json'))) {
    console.warn('e2e: WARNING: could not make the demo model (dist/cli.js make-test-model); the scenarios run without clinicalModernbert.modelPath');
  }
}

// A second tiny model with a sequence-classification head, for the classification scenario.
const sequenceModel = join(root, '.e2e', 'models', 'demo-sequence');
if (!existsSync(join(sequenceModel, 'config.json'))) {
  run(process.execPath, ['dist/cli.js', 'make-test-model', '--arch', 'modernbert', '--head', 'sequence', '--out', sequenceModel], { stdio: 'ignore' });
}

const files = readdirSync(join(root, 'test', 'e2e'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', 'e2e', f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const tap = join(results, 'e2e.tap');
const t0 = Date.now();
const r = run(
  process.execPath,
  [
    '--import', 'tsx',
    '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files,
  ],
  {
    env: {
      ...process.env,
      E2E_VSIX: vsix,
      ...(existsSync(join(model, 'config.json')) ? { E2E_MODEL: model } : {}),
      ...(existsSync(join(sequenceModel, 'config.json')) ? { E2E_SEQUENCE_MODEL: sequenceModel } : {}),
    },
  },
);
console.log(`e2e: scenarios took ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${join('test-results', 'e2e')}`);

const summary = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
const count = (k) => Number(new RegExp(`^# ${k} (\\d+)`, 'm').exec(summary)?.[1] ?? 0);
const failed = count('fail') + count('cancelled');
const failedTotal = failed || (r.status === 0 ? 0 : 1);
console.log(`e2e: ${count('pass')} passed, ${failedTotal} failed, ${count('skipped')} skipped`);
process.exit(failedTotal ? 1 : 0);
