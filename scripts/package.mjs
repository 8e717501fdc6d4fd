// Packages a platform-specific VSIX: `npm run package [-- --target linux-x64]`.
//
// The VSIX is assembled in a staging folder (out/package/<target>/) holding only
// what runs: the esbuild bundles, the manifest without scripts or devDependencies,
// and a node_modules with the runtime closure of the dependencies, in which every
// native package carries only the target platform's binaries. vsce then packages
// that folder, so what the VSIX holds is exactly what this script put there.
//
// Options:
//   --target T              linux-x64 (default: this machine), linux-arm64, darwin-arm64,
//                           win32-x64, win32-arm64, ...
//   --out DIR               where the .vsix goes (default: out/)
//   --allow-missing-native  package even when a native binary for the target is absent
//                           here (sqlite3 is compiled from source on install, so only
//                           this machine's binary exists); the VSIX then lacks that module
//   --skip-build            use dist/ as it is
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const hostTarget = `${process.platform}-${process.arch}`;

function parseArgs(argv) {
  const opts = { target: hostTarget, out: join(root, 'out'), allowMissingNative: false, skipBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') opts.target = argv[++i];
    else if (a.startsWith('--target=')) opts.target = a.slice('--target='.length);
    else if (a === '--out') opts.out = resolve(argv[++i]);
    else if (a === '--allow-missing-native') opts.allowMissingNative = true;
    else if (a === '--skip-build') opts.skipBuild = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/** What each VS Code target needs from the native packages. */
function nativeLayout(target) {
  const [os, arch] = target.split('-');
  if (!os || !arch || target.startsWith('alpine') || target === 'web') {
    throw new Error(`unsupported target ${target}: use <os>-<arch>, e.g. linux-x64, darwin-arm64, win32-x64`);
  }
  return {
    os,
    arch,
    // onnxruntime-node loads bin/napi-v<N>/<platform>/<arch>/onnxruntime_binding.node
    ortDir: `${os}/${arch}`,
    // sqlite-vec resolves sqlite-vec-<os>-<arch>, spelling win32 as "windows"
    vecPackage: `sqlite-vec-${os === 'win32' ? 'windows' : os}-${arch}`,
    // sqlite3 builds build/Release/node_sqlite3.node from source for the machine it installs on
    sqlite3Native: target === hostTarget,
  };
}

// Dependencies only their install scripts use; nothing requires them at run time.
const installOnly = {
  'onnxruntime-node': ['adm-zip', 'global-agent'],
  sqlite3: ['node-addon-api', 'prebuild-install', 'tar', 'node-gyp'],
};

function readJson(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}

function packageDir(name) {
  return join(root, 'node_modules', name);
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Files of one package that belong in the VSIX: sources maps, typings, tests and build leftovers stay out. */
function keepFile(pkg, rel, layout) {
  if (/(^|\/)(test|tests|__tests__|docs?|example|examples)\//.test(rel)) return false;
  if (/(^|\/)\./.test(rel)) return false; // dotfiles: CI configs, .npmignore
  if (/\.(map|d\.ts|d\.mts|d\.cts|ts|mts|cts|gyp|gypi|cc|cpp|h|hpp|c|o|a|mk|md)$/.test(rel) && !/^LICEN[CS]E/i.test(rel)) return false;
  if (pkg === 'onnxruntime-node') {
    if (rel.startsWith('script/') || rel.startsWith('lib/')) return false;
    const m = /^bin\/napi-v\d+\/([^/]+\/[^/]+)\//.exec(rel);
    if (rel.startsWith('bin/')) return m !== null && m[1] === layout.ortDir;
  }
  if (pkg === 'sqlite3') {
    if (rel.startsWith('deps/') || rel.startsWith('src/') || rel.startsWith('node-addon-api/')) return false;
    if (rel.startsWith('build/')) return layout.sqlite3Native && rel === 'build/Release/node_sqlite3.node';
  }
  return true;
}

/** The manifest of a staged package: no scripts (a VSIX never runs install hooks), no install-only dependencies. */
function stagedManifest(pkg, manifest, present) {
  const m = { ...manifest };
  delete m.scripts;
  delete m.devDependencies;
  delete m.peerDependencies;
  delete m.peerDependenciesMeta;
  delete m.gypfile;
  delete m.binary;
  for (const field of ['dependencies', 'optionalDependencies']) {
    if (!m[field]) continue;
    m[field] = Object.fromEntries(Object.entries(m[field]).filter(([d]) => present.has(d) && !(installOnly[pkg] ?? []).includes(d)));
    if (Object.keys(m[field]).length === 0) delete m[field];
  }
  return m;
}

function runtimeClosure(rootDeps, layout) {
  const present = new Set();
  const missing = [];
  const queue = [...rootDeps];
  while (queue.length) {
    const name = queue.shift();
    if (present.has(name)) continue;
    const dir = packageDir(name);
    if (!existsSync(join(dir, 'package.json'))) {
      missing.push(name);
      continue;
    }
    present.add(name);
    const manifest = readJson(join(dir, 'package.json'));
    const deps = Object.keys(manifest.dependencies ?? {}).filter((d) => !(installOnly[name] ?? []).includes(d));
    // Optional dependencies are per-platform binaries (sqlite-vec-*): only the target's.
    const optional = Object.keys(manifest.optionalDependencies ?? {}).filter((d) => d === layout.vecPackage);
    queue.push(...deps, ...optional);
  }
  return { present, missing };
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

export function packageVsix(opts) {
  const started = Date.now();
  const layout = nativeLayout(opts.target);
  const manifest = readJson(join(root, 'package.json'));

  if (!opts.skipBuild) run(process.execPath, ['esbuild.mjs', '--production'], root);
  for (const f of ['extension.js', 'engineWorker.js', 'cli.js']) {
    if (!existsSync(join(root, 'dist', f))) throw new Error(`dist/${f} is missing: run node esbuild.mjs`);
  }

  const stage = join(root, 'out', 'package', opts.target);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  // Top level: the bundles and the documents the Marketplace shows.
  mkdirSync(join(stage, 'dist'));
  for (const f of readdirSync(join(root, 'dist'))) {
    if (f.endsWith('.js')) cpSync(join(root, 'dist', f), join(stage, 'dist', f));
  }
  for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE', 'LICENSE.md', 'THIRD_PARTY_NOTICES.md', 'package.nls.json']) {
    if (existsSync(join(root, f))) cpSync(join(root, f), join(stage, f));
  }
  // Assets the manifest may point at (icons, grammars); copied when the project has them.
  for (const d of ['media', 'resources', 'images', 'syntaxes', 'snippets', 'l10n']) {
    if (existsSync(join(root, d))) cpSync(join(root, d), join(stage, d), { recursive: true });
  }
  // The PyTorch fine-tuning companion, run with the user's Python (its tests and caches stay out).
  mkdirSync(join(stage, 'companion'));
  for (const f of ['README.md', 'pyproject.toml']) cpSync(join(root, 'companion', f), join(stage, 'companion', f));
  cpSync(join(root, 'companion', 'cmb_companion'), join(stage, 'companion', 'cmb_companion'), { recursive: true, filter: (src) => !/__pycache__|\.pyc$/.test(src) });

  const rootDeps = Object.keys(manifest.dependencies ?? {});
  const { present, missing } = runtimeClosure(rootDeps, layout);
  const problems = missing.map((m) => `package ${m} is not installed`);
  if (!existsSync(packageDir(layout.vecPackage))) {
    problems.push(`${layout.vecPackage} (sqlite-vec's ${opts.target} loadable) is not installed here; npm installs only this machine's`);
  }
  if (!layout.sqlite3Native) {
    problems.push(`sqlite3's native module for ${opts.target} cannot be built on ${hostTarget} (it is compiled from source on install)`);
  }
  const ortBin = readdirSync(join(packageDir('onnxruntime-node'), 'bin')).some((v) =>
    existsSync(join(packageDir('onnxruntime-node'), 'bin', v, layout.os, layout.arch)),
  );
  if (!ortBin) problems.push(`onnxruntime-node ships no binary for ${opts.target}`);
  if (problems.length && !opts.allowMissingNative) {
    throw new Error(`cannot package a working ${opts.target} VSIX on this machine:\n  - ${problems.join('\n  - ')}\n(--allow-missing-native packages it without them)`);
  }

  for (const name of present) {
    const src = packageDir(name);
    const dst = join(stage, 'node_modules', name);
    for (const file of walk(src)) {
      const rel = relative(src, file).split('\\').join('/');
      if (rel.startsWith('node_modules/')) continue; // nested copies are resolved separately
      if (rel === 'package.json' || !keepFile(name, rel, layout)) continue;
      mkdirSync(dirname(join(dst, rel)), { recursive: true });
      cpSync(file, join(dst, rel));
    }
    writeFileSync(join(dst, 'package.json'), JSON.stringify(stagedManifest(name, readJson(join(src, 'package.json')), present), null, 2));
  }

  // Everything staged belongs in the VSIX; the file only tells vsce that this was decided.
  writeFileSync(join(stage, '.vscodeignore'), '# staged by scripts/package.mjs: every file here belongs in the VSIX\n');

  const staged = { ...manifest };
  delete staged.scripts;
  delete staged.devDependencies;
  staged.dependencies = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([d]) => present.has(d)));
  writeFileSync(join(stage, 'package.json'), JSON.stringify(staged, null, 2) + '\n');

  mkdirSync(opts.out, { recursive: true });
  const vsix = join(opts.out, `${manifest.name}-${manifest.version}-${opts.target}.vsix`);
  rmSync(vsix, { force: true });
  run(
    process.execPath,
    [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', opts.target, '--out', vsix, '--allow-missing-repository', '--allow-star-activation', '--no-rewrite-relative-links'],
    stage,
  );
  const bytes = statSync(vsix).size;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`packaged ${relative(root, vsix)}: ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${seconds} s${problems.length ? ` (INCOMPLETE: ${problems.join('; ')})` : ''}`);
  return { vsix, bytes, problems };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    packageVsix(parseArgs(process.argv.slice(2)));
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
