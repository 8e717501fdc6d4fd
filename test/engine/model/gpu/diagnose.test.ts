import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diagnoseCuda, diagnoseGpu, diagnoseWebGpu, vulkanDrivers } from '../../../../src/engine/model/gpu/diagnose';
import { ldSoConfDirs, loaderSearchDirs, type SearchRoots } from '../../../../src/engine/model/gpu/libraryPaths';
import { cudaRuntimeDir, loadedOrtDir, RUNTIME_MANIFEST } from '../../../../src/engine/model/gpu/ortRuntime';
import { bundledOrtVersion } from '../../../../src/engine/model/gpu/cudaPackage';
import { cudaUnavailableReason } from '../../../../src/engine/model/session';
import { fakeSharedLibrary } from './fakeElf';
import { CUDA12_NEEDS } from './fakeNupkg';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-diagnose-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** a fake file system root with library folders, ld.so.conf and its include folder */
function machine(name: string, libs: Record<string, string[]>): { roots: SearchRoots; root: string } {
  const root = path.join(tmp, name);
  for (const [dir, names] of Object.entries(libs)) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    for (const n of names) fs.writeFileSync(path.join(root, dir, n), fakeSharedLibrary({ soname: n }));
  }
  fs.mkdirSync(path.join(root, 'etc/ld.so.conf.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/ld.so.conf'), `# comment\ninclude ${path.join(root, 'etc/ld.so.conf.d')}/*.conf\n`);
  fs.writeFileSync(path.join(root, 'etc/ld.so.conf.d/cuda.conf'), '/usr/local/cuda/lib64\n');
  return { root, roots: { env: { HOME: path.join(root, 'home') }, arch: 'x64', ldSoConf: path.join(root, 'etc/ld.so.conf'), root } };
}

/** a CUDA runtime in storage as the setup leaves it (fake provider libraries) */
function provisioned(storage: string, needs = CUDA12_NEEDS): string {
  const dir = cudaRuntimeDir(storage);
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    'onnxruntime_binding.node': fakeSharedLibrary({ needed: ['libonnxruntime.so.1'] }),
    'libonnxruntime.so.1': fakeSharedLibrary({ soname: 'libonnxruntime.so.1' }),
    'libonnxruntime_providers_shared.so': fakeSharedLibrary({}),
    'libonnxruntime_providers_cuda.so': fakeSharedLibrary({ needed: [...needs, 'libc.so.6'], runpath: '$ORIGIN' }),
  };
  for (const [n, b] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), b);
  fs.writeFileSync(
    path.join(dir, RUNTIME_MANIFEST),
    JSON.stringify({ format: 1, ortVersion: bundledOrtVersion(), package: { id: 'x', version: '1', sha512Base64: '', source: 'feed' }, files: Object.entries(files).map(([name, b]) => ({ name, size: b.length, sha256: '' })), installedAt: '' }),
  );
  return dir;
}

test('the loader\'s folders: LD_LIBRARY_PATH first, then ld.so.conf with its includes, then the defaults', () => {
  const { roots, root } = machine('order', {});
  roots.env.LD_LIBRARY_PATH = '/opt/first:/opt/second';
  const dirs = loaderSearchDirs(roots);
  assert.deepEqual(dirs.slice(0, 3), ['/opt/first', '/opt/second', path.join(root, '/usr/local/cuda/lib64')]);
  assert.ok(dirs.indexOf(path.join(root, '/usr/lib/x86_64-linux-gnu')) > 2);
  assert.deepEqual(ldSoConfDirs(path.join(tmp, 'no-such-file')), []);
});

test('nothing set up, no driver: CUDA is not usable, and each missing piece says where it was looked for and what to install', () => {
  const { roots } = machine('bare', {});
  const d = diagnoseCuda({ storageDir: path.join(tmp, 'empty-storage'), roots, platform: 'linux', arch: 'x64', loadedOrtDir: null });
  assert.equal(d.usable, false);
  assert.equal(d.reason, 'no NVIDIA driver (libcuda.so.1) was found.');
  assert.equal(d.providerInstalled, false);
  assert.equal(d.needsFrom, 'onnxruntime-node version');
  assert.deepEqual(d.missing, ['libcuda.so.1', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9']);
  const cudnn = d.checks.find((c) => c.name === 'libcudnn.so.9')!;
  assert.equal(cudnn.role, 'cuDNN 9');
  assert.match(cudnn.fix!, /libcudnn9-cuda-12 .*pip install nvidia-cudnn-cu12/);
  assert.ok(cudnn.searched.length > 3);
  assert.match(d.checks.find((c) => c.name === 'libonnxruntime_providers_cuda.so')!.fix!, /Set Up GPU Acceleration.*cmb gpu --install/);
});

test('set up, with the driver and CUDA 12 on the loader path but cuDNN only in a pip folder: the fix says to add that folder', () => {
  const pipCudnn = 'home/.local/lib/python3.11/site-packages/nvidia/cudnn/lib';
  const { roots, root } = machine('partial', {
    'usr/lib/x86_64-linux-gnu': ['libcuda.so.1'],
    'usr/local/cuda/lib64': ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10'],
    [pipCudnn]: ['libcudnn.so.9'],
  });
  const storage = path.join(tmp, 'storage-partial');
  const dir = provisioned(storage);
  const d = diagnoseCuda({ storageDir: storage, roots, platform: 'linux', arch: 'x64', loadedOrtDir: dir });
  assert.equal(d.providerInstalled, true);
  assert.equal(d.needsFrom, 'provider library');
  assert.equal(d.runtimeDir, dir);
  assert.deepEqual(d.missing, ['libcudnn.so.9']);
  assert.equal(d.reason, 'missing libcudnn.so.9.');
  const cudnn = d.checks.find((c) => c.name === 'libcudnn.so.9')!;
  assert.equal(cudnn.elsewhere, path.join(root, pipCudnn, 'libcudnn.so.9'));
  assert.match(cudnn.fix!, /where the loader does not look: add that folder to LD_LIBRARY_PATH/);
  assert.equal(d.checks.find((c) => c.name === 'libcudart.so.12')!.found, path.join(root, 'usr/local/cuda/lib64/libcudart.so.12'));

  // with cuDNN on LD_LIBRARY_PATH every check passes
  roots.env.LD_LIBRARY_PATH = path.join(root, pipCudnn);
  const ok = diagnoseCuda({ storageDir: storage, roots, platform: 'linux', arch: 'x64', loadedOrtDir: dir });
  assert.equal(ok.usable, true, ok.reason);
  assert.deepEqual(ok.missing, []);

  // set up while this process already runs the bundled runtime: a reload is needed
  const stale = diagnoseCuda({ storageDir: storage, roots, platform: 'linux', arch: 'x64', loadedOrtDir: '/somewhere/bundled' });
  assert.equal(stale.usable, false);
  assert.equal(stale.reloadNeeded, true);
  assert.match(stale.reason!, /reload the window/);

  // a CUDA 13 provider would be judged by what its ELF says
  const storage13 = path.join(tmp, 'storage-13');
  provisioned(storage13, ['libcudart.so.13', 'libcudnn.so.9']);
  const d13 = diagnoseCuda({ storageDir: storage13, roots, platform: 'linux', arch: 'x64', loadedOrtDir: null });
  assert.deepEqual(d13.missing, ['libcudart.so.13']);
});

test('a probe session decides in the end: a failing GPU is not usable, whatever the files say', async () => {
  const { roots, root } = machine('probe', { 'usr/lib/x86_64-linux-gnu': ['libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9', 'libvulkan.so.1'] });
  const storage = path.join(tmp, 'storage-probe');
  const dir = provisioned(storage);
  const icd = path.join(root, 'icd');
  fs.mkdirSync(icd);
  fs.writeFileSync(path.join(icd, 'nvidia_icd.json'), JSON.stringify({ ICD: { library_path: 'libGLX_nvidia.so.0' } }));
  const probed: string[] = [];
  const r = await diagnoseGpu({
    storageDir: storage,
    roots,
    platform: 'linux',
    arch: 'x64',
    loadedOrtDir: dir,
    vulkanIcdDirs: [icd],
    probe: async (p) => {
      probed.push(p);
      return p === 'cuda' ? { ok: false, reason: 'CUDA failure 100: no CUDA-capable device is detected' } : { ok: true, ms: 5 };
    },
  });
  assert.deepEqual(probed, ['cuda', 'webgpu']);
  assert.equal(r.cuda.usable, false);
  assert.match(r.cuda.reason!, /could not be opened: CUDA failure 100/);
  assert.equal(r.webgpu.usable, true);
  assert.equal(r.cpu.usable, true);
  assert.ok(r.cpu.cores >= 1);
});

test('WebGPU: no Vulkan loader, no driver, or only a software driver (lavapipe) is said plainly', () => {
  const none = machine('novulkan', {});
  assert.match(diagnoseWebGpu({ storageDir: tmp, roots: none.roots, platform: 'linux', vulkanIcdDirs: [] }).reason!, /no Vulkan loader \(libvulkan\.so\.1\)/);
  const { roots, root } = machine('vulkan', { 'usr/lib/x86_64-linux-gnu': ['libvulkan.so.1'] });
  assert.match(diagnoseWebGpu({ storageDir: tmp, roots, platform: 'linux', vulkanIcdDirs: [path.join(root, 'none')] }).reason!, /no Vulkan driver \(ICD\)/);
  const icd = path.join(root, 'icd');
  fs.mkdirSync(icd);
  fs.writeFileSync(path.join(icd, 'lvp_icd.x86_64.json'), JSON.stringify({ ICD: { library_path: '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' } }));
  fs.writeFileSync(path.join(icd, 'broken.json'), '{');
  const soft = diagnoseWebGpu({ storageDir: tmp, roots, platform: 'linux', vulkanIcdDirs: [icd] });
  assert.equal(soft.software, true);
  assert.match(soft.reason!, /only a software \(CPU\) Vulkan driver/);
  fs.writeFileSync(path.join(icd, 'radeon_icd.x86_64.json'), JSON.stringify({ ICD: { library_path: 'libvulkan_radeon.so' } }));
  assert.deepEqual(vulkanDrivers([icd]).map((d) => [path.basename(d.manifest), d.software]), [['lvp_icd.x86_64.json', true], ['radeon_icd.x86_64.json', false]]);
  assert.equal(diagnoseWebGpu({ storageDir: tmp, roots, platform: 'linux', vulkanIcdDirs: [icd] }).usable, true);
});

test('the session precheck says "no driver" or "not set up" before onnxruntime is asked', () => {
  const empty = fs.mkdtempSync(path.join(tmp, 'ldpath-'));
  const systemDriver = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib/wsl/lib'].some((d) => fs.existsSync(path.join(d, 'libcuda.so.1')));
  if (!systemDriver) assert.equal(cudaUnavailableReason('linux', empty, { LD_LIBRARY_PATH: empty }), 'no NVIDIA driver (libcuda.so.1) is installed');
  fs.writeFileSync(path.join(empty, 'libcuda.so.1'), fakeSharedLibrary({}));
  assert.match(cudaUnavailableReason('linux', empty, { LD_LIBRARY_PATH: empty })!, /provider libraries are not set up \(run "Clinical: Set Up GPU Acceleration", or cmb gpu --install\)/);
  const storage = path.join(tmp, 'storage-precheck');
  assert.equal(cudaUnavailableReason('linux', provisioned(storage), { LD_LIBRARY_PATH: empty }), undefined);
  assert.equal(cudaUnavailableReason('win32', empty), undefined, 'elsewhere onnxruntime is asked as before');
});

test('the loaded libonnxruntime is found in the process map', () => {
  const maps = path.join(tmp, 'maps');
  fs.writeFileSync(maps, '7f00-7f01 r-xp 00000000 08:01 123 /usr/lib/libc.so.6\n7f02-7f03 r-xp 00000000 08:01 456 /home/u/.config/Code/User/globalStorage/x/ort-cuda/1.30.0/libonnxruntime.so.1\n');
  assert.equal(loadedOrtDir(maps), '/home/u/.config/Code/User/globalStorage/x/ort-cuda/1.30.0');
  fs.writeFileSync(maps, '7f00-7f01 r-xp 00000000 08:01 123 /usr/lib/libc.so.6\n');
  assert.equal(loadedOrtDir(maps), undefined);
  assert.equal(loadedOrtDir(path.join(tmp, 'no-maps')), undefined);
});
