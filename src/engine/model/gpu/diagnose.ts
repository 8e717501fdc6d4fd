/**
 * What stands between this machine and each execution provider, found by
 * looking where the dynamic loader looks, and (when asked) by opening a tiny
 * session on the provider. Every missing piece comes with the folders that
 * were searched and one line saying what to install.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundledBinDir, bundledOrtVersion, describeLibrary, expectedCudaLibraries, isCudaLibrary, ORT_CUDA_PACKAGES } from './cudaPackage';
import { readElfDynamic } from './elf';
import { defaultRoots, findIn, likelyCudaDirs, loaderSearchDirs, type SearchRoots } from './libraryPaths';
import { loadedOrtDir, provisionedRuntime, readRuntimeManifest } from './ortRuntime';
import type { CpuDiagnosis, CudaDiagnosis, GpuReport, LibraryCheck, ProbeResult, WebGpuDiagnosis } from './protocol';

export interface DiagnoseOptions {
  storageDir: string;
  platform?: string;
  arch?: string;
  roots?: SearchRoots;
  /** the folder of the libonnxruntime this process runs (tests pass one) */
  loadedOrtDir?: string | null;
  /** opens a tiny session on a provider; absent: no probe */
  probe?(provider: 'cuda' | 'webgpu'): Promise<ProbeResult>;
  /** Vulkan ICD manifest folders (tests pass their own) */
  vulkanIcdDirs?: string[];
}

const PROVIDER_LIBRARIES = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];

/** Another major version of a library (libcudart.so.13 where .12 is needed): the usual cause of "installed but does not load". */
function otherVersion(name: string, dirs: string[]): string | undefined {
  const m = /^(.*\.so)\.(\d+)$/.exec(name);
  if (!m) return undefined;
  const re = new RegExp(`^${m[1]!.replace(/[.+]/g, '\\$&')}\\.(\\d+)$`);
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    const hit = names.find((n) => re.test(n) && n !== name);
    if (hit) return path.join(d, hit);
  }
  return undefined;
}

function check(name: string, role: string, fix: string, dirs: string[], extra: string[]): LibraryCheck {
  const found = findIn(name, dirs);
  if (found) return { name, role, found, searched: dirs };
  const elsewhere = findIn(name, extra);
  const c: LibraryCheck = { name, role, searched: dirs, fix };
  if (elsewhere) {
    c.elsewhere = elsewhere;
    c.fix = `it is in ${path.dirname(elsewhere)}, where the loader does not look: add that folder to LD_LIBRARY_PATH before starting VS Code (or the shell for cmb), or register it with sudo ldconfig ${path.dirname(elsewhere)}`;
    return c;
  }
  const other = otherVersion(name, [...dirs, ...extra]);
  if (other) {
    c.otherVersion = other;
    c.fix = `${path.basename(other)} in ${path.dirname(other)} is another major version; this one is needed: ${fix}`;
  }
  return c;
}

export function diagnoseCuda(opts: DiagnoseOptions): CudaDiagnosis {
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const ortVersion = bundledOrtVersion();
  const pkg = ORT_CUDA_PACKAGES[ortVersion];
  const base: CudaDiagnosis = { usable: false, ortVersion, platform: `${platform}-${arch}`, providerInstalled: false, checks: [], missing: [] };
  if (platform !== 'linux' || arch !== 'x64') {
    return { ...base, reason: `CUDA is set up by the extension on Linux x64 only; on ${platform} ${arch} the engine uses WebGPU or the CPU.` };
  }
  if (!pkg) return { ...base, reason: `no CUDA package is known for onnxruntime-node ${ortVersion}; update the extension.` };
  const roots = opts.roots ?? defaultRoots();
  const loaderDirs = loaderSearchDirs(roots);
  const extra = likelyCudaDirs(roots);
  const runtimeDir = provisionedRuntime(opts.storageDir, platform, arch);
  const loaded = opts.loadedOrtDir === undefined ? loadedOrtDir() : (opts.loadedOrtDir ?? undefined);
  // where providers are looked for: beside the libonnxruntime in use (or that will be used)
  const providerDir = runtimeDir ?? bundledBinDir(platform, arch);
  const diag: CudaDiagnosis = { ...base, cudaMajor: pkg.cudaMajor, cudnnMajor: pkg.cudnnMajor, package: `${pkg.nugetId} ${pkg.nugetVersion}`, runtimeDir, loadedFrom: loaded };
  if (runtimeDir) {
    const m = readRuntimeManifest(runtimeDir);
    diag.providerSource = m?.package.source;
  }

  const driver = check('libcuda.so.1', 'NVIDIA driver', describeLibrary('libcuda.so.1', pkg.cudaMajor).fix, loaderDirs, extra);
  diag.checks.push(driver);
  const providerChecks = PROVIDER_LIBRARIES.map((name) =>
    check(name, 'onnxruntime CUDA provider', 'run "Clinical: Set Up GPU Acceleration" (or cmb gpu --install) to fetch the provider libraries that match the bundled onnxruntime-node', [providerDir], []),
  );
  diag.checks.push(...providerChecks);
  diag.providerInstalled = providerChecks.every((c) => c.found);

  // what the provider library itself says it needs, else what this version is built against
  const provider = diag.providerInstalled ? readElfDynamic(path.join(providerDir, 'libonnxruntime_providers_cuda.so')) : undefined;
  const needs = provider ? provider.needed.filter(isCudaLibrary) : expectedCudaLibraries(pkg);
  diag.needsFrom = provider ? 'provider library' : 'onnxruntime-node version';
  const runpath = (provider?.runpath ?? []).map((p) => p.replace(/\$ORIGIN|\$\{ORIGIN\}/g, providerDir));
  for (const name of needs) {
    const { role, fix } = describeLibrary(name, pkg.cudaMajor);
    diag.checks.push(check(name, role, fix, [...new Set([...runpath, providerDir, ...loaderDirs])], extra));
  }
  diag.missing = diag.checks.filter((c) => !c.found).map((c) => c.name);

  if (loaded && runtimeDir && path.resolve(loaded) !== path.resolve(runtimeDir)) {
    diag.reason = `CUDA was set up after the engine started with the bundled onnxruntime: reload the window (or restart cmb) to use it.`;
    diag.reloadNeeded = true;
  } else if (!driver.found) diag.reason = 'no NVIDIA driver (libcuda.so.1) was found.';
  else if (!diag.providerInstalled) diag.reason = 'the CUDA provider libraries are not set up.';
  else if (diag.missing.length) diag.reason = `missing ${diag.missing.join(', ')}.`;
  diag.usable = !diag.reason;
  return diag;
}

/** Vulkan drivers (ICDs) installed, from their JSON manifests; lavapipe and SwiftShader are CPU renderers. */
export function vulkanDrivers(dirs: string[]): WebGpuDiagnosis['drivers'] {
  const out: WebGpuDiagnosis['drivers'] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d).filter((n) => n.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      let library = '';
      try {
        const j = JSON.parse(fs.readFileSync(path.join(d, n), 'utf8')) as { ICD?: { library_path?: unknown } };
        library = typeof j.ICD?.library_path === 'string' ? j.ICD.library_path : '';
      } catch {
        continue;
      }
      const software = /lvp|lavapipe|swiftshader|llvmpipe/i.test(`${n} ${library}`);
      out.push({ manifest: path.join(d, n), library, software });
    }
  }
  return out;
}

export function diagnoseWebGpu(opts: DiagnoseOptions): WebGpuDiagnosis {
  const platform = opts.platform ?? process.platform;
  const diag: WebGpuDiagnosis = { usable: false, drivers: [] };
  if (platform !== 'linux') {
    // Windows (D3D12) and macOS (Metal) have a WebGPU backend without extra libraries; only a session can tell
    diag.usable = true;
    diag.note = 'on this platform only a session can tell whether a GPU adapter exists (cmb gpu --probe)';
    return diag;
  }
  const roots = opts.roots ?? defaultRoots();
  const loaderDirs = loaderSearchDirs(roots);
  const loader = findIn('libvulkan.so.1', loaderDirs);
  diag.vulkanLoader = loader;
  const icdDirs = opts.vulkanIcdDirs ?? [
    ...(roots.env.VK_ICD_FILENAMES ?? roots.env.VK_DRIVER_FILES ?? '').split(':').filter(Boolean).map((f) => path.dirname(f)),
    '/etc/vulkan/icd.d',
    '/usr/share/vulkan/icd.d',
    '/usr/local/share/vulkan/icd.d',
  ];
  diag.drivers = vulkanDrivers([...new Set(icdDirs)]);
  if (!loader) {
    diag.reason = 'no Vulkan loader (libvulkan.so.1) is installed, which WebGPU needs on Linux (sudo apt install libvulkan1 and your GPU\'s Vulkan driver, e.g. mesa-vulkan-drivers)';
  } else if (!diag.drivers.length) {
    diag.reason = 'the Vulkan loader is there but no Vulkan driver (ICD) is installed (e.g. mesa-vulkan-drivers, or the NVIDIA driver\'s Vulkan part)';
  } else if (diag.drivers.every((d) => d.software)) {
    diag.software = true;
    diag.reason = 'only a software (CPU) Vulkan driver is installed, which is slower than the CPU provider';
  }
  diag.usable = !diag.reason;
  return diag;
}

export function diagnoseCpu(): CpuDiagnosis {
  const cpus = os.cpus();
  let flags = '';
  try {
    flags = /^flags\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  return {
    usable: true,
    cores: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    ...(flags ? { avx2: has('avx2'), avx512: has('avx512f'), amx: has('amx_tile') } : {}),
  };
}

export async function diagnoseGpu(opts: DiagnoseOptions): Promise<GpuReport> {
  const cuda = diagnoseCuda(opts);
  const webgpu = diagnoseWebGpu(opts);
  const cpu = diagnoseCpu();
  if (opts.probe) {
    // a session decides: libraries can all be there and the GPU still refuse (driver too old, no device in a container)
    if (cuda.providerInstalled && !cuda.reloadNeeded && cuda.checks[0]?.found) {
      cuda.probe = await opts.probe('cuda');
      if (!cuda.probe.ok) {
        cuda.usable = false;
        cuda.reason ??= `a CUDA session could not be opened: ${cuda.probe.reason}`;
      } else {
        // the loader found what the search did not (e.g. a folder only in its cache): the session is what counts
        if (cuda.missing.length) cuda.note = `a CUDA session opened although ${cuda.missing.join(', ')} was not found in the folders searched`;
        cuda.usable = true;
        delete cuda.reason;
      }
    }
    if (webgpu.usable || webgpu.software) {
      webgpu.probe = await opts.probe('webgpu');
      if (!webgpu.probe.ok) {
        webgpu.usable = false;
        webgpu.reason = `no WebGPU adapter could be opened: ${webgpu.probe.reason}`;
      }
    }
  }
  return { cuda, webgpu, cpu };
}
