/** Engine methods for GPU diagnosis and CUDA setup, and what they answer (`cmb gpu --json` prints GpuReport). Types only. */
import type { MethodSpec } from '../../methodSpec';

export interface ProbeResult {
  ok: boolean;
  /** the first line of onnxruntime's error when not ok */
  reason?: string;
  /** ms to open the session and run once */
  ms?: number;
}

export interface LibraryCheck {
  /** soname, e.g. libcudnn.so.9 */
  name: string;
  /** what it is: NVIDIA driver, CUDA 12 runtime, cuDNN 9, ... */
  role: string;
  /** the path the loader would use */
  found?: string;
  /** folders searched, in the loader's order */
  searched: string[];
  /** found outside the loader's folders */
  elsewhere?: string;
  /** another major version found (e.g. libcudart.so.13 where .12 is needed) */
  otherVersion?: string;
  /** what to do when it is missing: one line */
  fix?: string;
}

export interface CudaDiagnosis {
  usable: boolean;
  /** why not, in one line */
  reason?: string;
  note?: string;
  platform: string;
  ortVersion: string;
  package?: string;
  cudaMajor?: number;
  cudnnMajor?: number;
  /** the provider libraries sit beside onnxruntime (in storage once set up) */
  providerInstalled: boolean;
  providerSource?: 'feed' | 'file';
  /** the CUDA-ready runtime in storage, when set up */
  runtimeDir?: string;
  /** the folder of the libonnxruntime this process has loaded, if any */
  loadedFrom?: string;
  /** set up after this process loaded the bundled runtime: a reload is needed */
  reloadNeeded?: boolean;
  /** where the list of needed CUDA libraries comes from */
  needsFrom?: 'provider library' | 'onnxruntime-node version';
  checks: LibraryCheck[];
  /** sonames not found */
  missing: string[];
  probe?: ProbeResult;
}

export interface WebGpuDiagnosis {
  usable: boolean;
  reason?: string;
  note?: string;
  vulkanLoader?: string;
  /** Vulkan drivers (ICD manifests) installed */
  drivers: Array<{ manifest: string; library: string; software: boolean }>;
  /** only software (CPU) Vulkan drivers */
  software?: boolean;
  probe?: ProbeResult;
}

export interface CpuDiagnosis {
  usable: true;
  cores: number;
  model: string;
  avx2?: boolean;
  avx512?: boolean;
  amx?: boolean;
}

export interface GpuReport {
  cuda: CudaDiagnosis;
  webgpu: WebGpuDiagnosis;
  cpu: CpuDiagnosis;
}

export interface InstallCudaRequest {
  /** a .nupkg already downloaded (offline machines) */
  from?: string;
  /** a NuGet v3 service index (a mirror); default nuget.org */
  feed?: string;
  /** VS Code's http.proxy; else HTTPS_PROXY */
  proxy?: string;
  noProxy?: string[];
}

export interface InstallCudaResult {
  dir: string;
  ortVersion: string;
  package: string;
  /** feed-sha512: checked against the feed's SHA-512; local-file: checked by CRC, ELF header and nuspec only */
  verified: 'feed-sha512' | 'local-file';
  sha512Base64: string;
  files: Array<{ name: string; size: number }>;
  /** CUDA libraries the provider needs (its ELF NEEDED entries) */
  needs: string[];
  /** this process runs the bundled onnxruntime already: reload the window (restart cmb) to use CUDA */
  reloadNeeded: boolean;
}

export type GpuMethods = {
  /** what each provider needs and whether it is there; probe: open a tiny session on each GPU provider */
  'gpu.diagnose': MethodSpec<{ probe?: boolean }, GpuReport>;
  /** fetches (or takes from a file) the CUDA provider libraries into storage */
  'gpu.install': MethodSpec<InstallCudaRequest, InstallCudaResult>;
};
