/**
 * What CUDA means for the bundled onnxruntime-node: the NuGet package its own
 * installer (script/install-metadata.js) fetches the CUDA provider libraries
 * from, the files it takes, and the CUDA / cuDNN major versions they need.
 * A test compares this table with install-metadata.js, so upgrading
 * onnxruntime-node without updating it fails loudly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OrtCudaPackage {
  /** NuGet package id and version, as onnxruntime-node's installer resolves them */
  nugetId: string;
  nugetVersion: string;
  /** the installer's manifest name, e.g. cuda12 */
  manifest: string;
  cudaMajor: number;
  cudnnMajor: number;
  /** file name beside the binding -> path inside the package */
  files: Record<string, string>;
}

/** The NuGet feed onnxruntime-node's installer uses. */
export const NUGET_FEED = 'https://api.nuget.org/v3/index.json';

/**
 * By onnxruntime-node version (linux x64). TensorRT's provider, which the
 * installer also places, is left out: this engine never asks for TensorRT and
 * it needs libnvinfer besides.
 */
export const ORT_CUDA_PACKAGES: Record<string, OrtCudaPackage> = {
  '1.30.0': {
    nugetId: 'Microsoft.ML.OnnxRuntime.Gpu.Linux',
    nugetVersion: '1.30.0',
    manifest: 'cuda12',
    cudaMajor: 12,
    cudnnMajor: 9,
    files: {
      'libonnxruntime_providers_shared.so': 'runtimes/linux-x64/native/libonnxruntime_providers_shared.so',
      'libonnxruntime_providers_cuda.so': 'runtimes/linux-x64/native/libonnxruntime_providers_cuda.so',
    },
  },
};

/** The folder of the onnxruntime-node package the engine was installed with. */
export function ortPackageDir(): string {
  return path.dirname(require.resolve('onnxruntime-node/package.json'));
}

export function bundledOrtVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ortPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the bundled binding and libonnxruntime live for this platform. */
export function bundledBinDir(platform = process.platform, arch = process.arch): string {
  return path.join(ortPackageDir(), 'bin', 'napi-v6', platform, arch);
}

export interface LibraryRole {
  role: string;
  /** what to install: one line */
  fix: string;
}

/** What a CUDA library is and how to get it, for the diagnosis (Debian/Ubuntu with NVIDIA's repository, or pip). */
export function describeLibrary(soname: string, cudaMajor: number): LibraryRole {
  const cu = `cu${cudaMajor}`;
  const apt = (pkg: string) => `sudo apt install ${pkg} (NVIDIA's CUDA repository; X = your CUDA ${cudaMajor} minor version)`;
  if (soname.startsWith('libcuda.so')) return { role: 'NVIDIA driver', fix: `install the NVIDIA driver (e.g. sudo ubuntu-drivers install), 525 or newer for CUDA ${cudaMajor}; in a container, run it with the GPU passed through (--gpus all)` };
  if (soname.startsWith('libcudart.so')) return { role: `CUDA ${cudaMajor} runtime`, fix: `${apt(`cuda-cudart-${cudaMajor}-X`)}, or pip install nvidia-cuda-runtime-${cu}` };
  if (soname.startsWith('libcublasLt.so') || soname.startsWith('libcublas.so')) return { role: 'cuBLAS', fix: `${apt(`libcublas-${cudaMajor}-X`)}, or pip install nvidia-cublas-${cu}` };
  if (soname.startsWith('libcufft.so')) return { role: 'cuFFT', fix: `${apt(`libcufft-${cudaMajor}-X`)}, or pip install nvidia-cufft-${cu}` };
  if (soname.startsWith('libcurand.so')) return { role: 'cuRAND', fix: `${apt(`libcurand-${cudaMajor}-X`)}, or pip install nvidia-curand-${cu}` };
  if (soname.startsWith('libcudnn')) {
    const major = /\.so\.(\d+)/.exec(soname)?.[1] ?? '9';
    return { role: `cuDNN ${major}`, fix: `sudo apt install libcudnn${major}-cuda-${cudaMajor} (NVIDIA's CUDA repository), or pip install nvidia-cudnn-${cu}` };
  }
  if (soname.startsWith('libnvrtc')) return { role: 'NVRTC', fix: `${apt(`cuda-nvrtc-${cudaMajor}-X`)}, or pip install nvidia-cuda-nvrtc-${cu}` };
  return { role: 'CUDA library', fix: `install the CUDA ${cudaMajor} toolkit libraries (sudo apt install cuda-libraries-${cudaMajor}-X)` };
}

/** The CUDA libraries a provider of this package needs, before it is installed and its ELF can be read. */
export function expectedCudaLibraries(pkg: OrtCudaPackage): string[] {
  return [`libcudart.so.${pkg.cudaMajor}`, `libcublas.so.${pkg.cudaMajor}`, `libcublasLt.so.${pkg.cudaMajor}`, 'libcufft.so.11', 'libcurand.so.10', `libcudnn.so.${pkg.cudnnMajor}`];
}

/** NEEDED entries that belong to CUDA (not libc, libstdc++ or onnxruntime itself). */
export function isCudaLibrary(soname: string): boolean {
  return /^lib(cu|nv)/.test(soname) && !soname.startsWith('libonnxruntime');
}
