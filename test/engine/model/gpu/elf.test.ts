import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EM_AARCH64, EM_X86_64, readElfDynamic } from '../../../../src/engine/model/gpu/elf';
import { bundledBinDir } from '../../../../src/engine/model/gpu/cudaPackage';
import { fakeSharedLibrary } from './fakeElf';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-elf-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the dynamic section gives the libraries a provider needs, its soname and run path', () => {
  const f = path.join(tmp, 'libonnxruntime_providers_cuda.so');
  fs.writeFileSync(f, fakeSharedLibrary({ needed: ['libcublasLt.so.12', 'libcudnn.so.9', 'libc.so.6'], soname: 'libonnxruntime_providers_cuda.so', runpath: '$ORIGIN:/opt/x' }));
  const d = readElfDynamic(f)!;
  assert.deepEqual(d.needed, ['libcublasLt.so.12', 'libcudnn.so.9', 'libc.so.6']);
  assert.equal(d.soname, 'libonnxruntime_providers_cuda.so');
  assert.deepEqual(d.runpath, ['$ORIGIN', '/opt/x']);
  assert.equal(d.machine, EM_X86_64);
  fs.writeFileSync(f, fakeSharedLibrary({ machine: EM_AARCH64 }));
  assert.equal(readElfDynamic(f)!.machine, EM_AARCH64);
});

test('the bundled libonnxruntime reads as readelf shows it', (t) => {
  const lib = path.join(bundledBinDir('linux', 'x64'), 'libonnxruntime.so.1');
  if (!fs.existsSync(lib)) return t.skip('no linux-x64 onnxruntime-node binary here');
  const d = readElfDynamic(lib)!;
  assert.equal(d.soname, 'libonnxruntime.so.1');
  assert.ok(d.needed.includes('libc.so.6'));
  assert.deepEqual(d.runpath, ['$ORIGIN']);
  const binding = readElfDynamic(path.join(path.dirname(lib), 'onnxruntime_binding.node'))!;
  assert.ok(binding.needed.includes('libonnxruntime.so.1'), 'the binding loads libonnxruntime from its own folder');
  assert.deepEqual(binding.runpath, ['$ORIGIN/']);
});

test('not an ELF file, a truncated one, a missing one: undefined, never a throw', () => {
  const text = path.join(tmp, 'text.so');
  fs.writeFileSync(text, 'not a library');
  assert.equal(readElfDynamic(text), undefined);
  const cut = path.join(tmp, 'cut.so');
  fs.writeFileSync(cut, fakeSharedLibrary({ needed: ['libcudart.so.12'] }).subarray(0, 100));
  assert.equal(readElfDynamic(cut), undefined);
  assert.equal(readElfDynamic(path.join(tmp, 'nope.so')), undefined);
});
