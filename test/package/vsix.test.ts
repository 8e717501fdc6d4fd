/**
 * The packaged VSIX holds what runs on its platform and nothing else: the
 * bundles, the runtime dependencies with only the target's native binaries, no
 * dev dependencies, no sources, tests, fixtures or demo notes. Its native
 * modules load from the staged folder vsce zipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineError } from '../../src/engine/errors';
import { ZipArchive } from '../../src/engine/zipArchive';

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
};
const host = `${process.platform}-${process.arch}`;

function packageFor(target: string, extra: string[] = []): { status: number | null; output: string; out: string } {
  const out = mkdtempSync(join(tmpdir(), 'cmb-vsix-'));
  // dist/ was built by the test runner; --skip-build keeps this test from rewriting it.
  const r = spawnSync(process.execPath, ['scripts/package.mjs', '--target', target, '--out', out, '--skip-build', ...extra], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}`, out };
}

/** ELF e_machine of a Linux shared object: 0x3e is x86-64, 0xb7 is AArch64. */
function elfMachine(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(20);
    readSync(fd, header, 0, 20, 0);
    assert.equal(header.toString('latin1', 1, 4), 'ELF', `${path} is not an ELF file`);
    return header.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

test(`the ${host} VSIX holds only runtime files and only ${host} native binaries`, { skip: host !== 'linux-x64' && 'the content rules below are written for linux-x64 hosts' }, async (t) => {
  const { status, output, out } = packageFor('linux-x64');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  assert.equal(status, 0, `packaging failed:\n${output}`);

  const vsix = join(out, `${manifest.name}-${manifest.version}-linux-x64.vsix`);
  const bytes = statSync(vsix).size;
  t.diagnostic(`VSIX size: ${(bytes / 1024 / 1024).toFixed(1)} MiB`);
  const archive = await ZipArchive.open(vsix, (why) => new EngineError('bad-input', `${vsix}: ${why}`));
  const entries = archive.entries;
  const names = entries.map((e) => e.name);
  archive.close();

  // issue 14: the built-in clinical lexicon ships with its NOTICE, compact (uncompressed size: a stricter bound)
  for (const required of ['extension/media/lexicon/clinical-lexicon.txt', 'extension/media/lexicon/NOTICE']) {
    assert.ok(names.includes(required), `${required} is missing`);
  }
  const lexiconBytes = entries.filter((e) => e.name.startsWith('extension/media/lexicon/')).reduce((a, e) => a + e.size, 0);
  t.diagnostic(`built-in lexicon in the VSIX: ${(lexiconBytes / 1024).toFixed(0)} KiB uncompressed`);
  assert.ok(lexiconBytes <= 5 * 1024 * 1024, `the built-in lexicon takes ${lexiconBytes} bytes in the VSIX (limit 5 MB)`);

  for (const required of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/engineWorker.js', 'extension/dist/cli.js', 'extension/dist/projectionWorker.js', 'extension/media/icdMap/map.js', 'extension/THIRD_PARTY_NOTICES.md', 'extension/companion/cmb_companion/__main__.py', 'extension/companion/cmb_companion/train.py']) {
    assert.ok(names.includes(required), `${required} is missing`);
  }
  const ext = names.filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));

  const forbiddenTop = ['src/', 'test/', 'demo/', 'models/', 'scripts/', 'bench/', 'out/', '.e2e/', 'test-results/', '.ci/', 'companion/tests/'];
  for (const f of ext) {
    assert.ok(!forbiddenTop.some((p) => f.startsWith(p)), `${f} must not be packaged`);
    assert.ok(!/\.ts$/.test(f) && !/\.map$/.test(f), `${f}: no TypeScript sources or source maps`);
    assert.ok(!/__pycache__|\.pyc$/.test(f), `${f}: no Python caches`);
    assert.ok(!/(^|\/)fixtures?\//.test(f), `${f}: no test fixtures`);
  }

  const modules = new Set(
    ext
      .filter((f) => f.startsWith('node_modules/'))
      .map((f) => {
        const parts = f.split('/');
        return parts[1]!.startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]!;
      }),
  );
  for (const dev of Object.keys(manifest.devDependencies)) {
    assert.ok(!modules.has(dev), `dev dependency ${dev} is packaged`);
  }
  for (const runtime of ['onnxruntime-node', 'onnxruntime-common', 'sqlite3', 'sqlite-vec', 'sqlite-vec-linux-x64']) {
    assert.ok(modules.has(runtime), `runtime dependency ${runtime} is missing`);
  }
  for (const m of modules) {
    assert.ok(!/^sqlite-vec-(?!linux-x64$)/.test(m), `${m}: another platform's sqlite-vec loadable`);
  }

  const ortBins = ext.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
  assert.ok(ortBins.some((f) => /napi-v\d+\/linux\/x64\/onnxruntime_binding\.node$/.test(f)), 'onnxruntime binding for linux-x64 is missing');
  for (const f of ortBins) assert.match(f, /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\//, `${f}: not a linux-x64 binary`);

  const sqliteBuild = ext.filter((f) => f.startsWith('node_modules/sqlite3/build/'));
  assert.deepEqual(sqliteBuild, ['node_modules/sqlite3/build/Release/node_sqlite3.node']);
  assert.ok(!ext.some((f) => f.startsWith('node_modules/sqlite3/deps/') || f.startsWith('node_modules/sqlite3/src/')), 'sqlite3 sources are packaged');

  for (const f of ext.filter((x) => /\.(dll|dylib|exe)$/.test(x))) assert.fail(`${f}: a Windows or macOS binary in a linux-x64 VSIX`);

  // The staged folder is what vsce zipped: its native files are x86-64 ELF and they load.
  const stage = join(root, 'out', 'package', 'linux-x64');
  for (const f of ext.filter((x) => /\.(node|so(\.\d+)*)$/.test(x))) {
    assert.equal(elfMachine(join(stage, f)), 0x3e, `${f} is not an x86-64 binary`);
  }
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const ort = require('onnxruntime-node');
       if (typeof ort.InferenceSession?.create !== 'function') throw new Error('onnxruntime-node has no InferenceSession');
       const sqlite3 = require('sqlite3'); const vec = require('sqlite-vec');
       const db = new sqlite3.Database(':memory:');
       db.loadExtension(vec.getLoadablePath(), (err) => {
         if (err) throw err;
         db.get('select vec_version() as v', (e, row) => { if (e) throw e; console.log('vec ' + row.v); db.close(); });
       });`,
    ],
    { cwd: stage, encoding: 'utf8' },
  );
  assert.equal(probe.status, 0, `packaged native modules do not load:\n${probe.stderr}`);
  assert.match(probe.stdout, /^vec v\d/);
});

test('packaging for a platform whose native binaries cannot be built here fails and names what is missing', (t) => {
  const other = host === 'darwin-arm64' ? 'linux-x64' : 'darwin-arm64';
  const { status, output, out } = packageFor(other);
  t.after(() => rmSync(out, { recursive: true, force: true }));
  assert.notEqual(status, 0);
  assert.match(output, /sqlite3's native module for/);
  assert.ok(!existsSync(join(out, `${manifest.name}-${manifest.version}-${other}.vsix`)), 'no VSIX may be written');
});

test('an unknown target is refused', (t) => {
  const { status, output, out } = packageFor('web');
  t.after(() => rmSync(out, { recursive: true, force: true }));
  assert.notEqual(status, 0);
  assert.match(output, /unsupported target web/);
});
