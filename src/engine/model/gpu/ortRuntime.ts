/**
 * Which onnxruntime the engine loads: the bundled one, or a copy set up for
 * CUDA in the extension's storage (`<storage>/ort-cuda/<version>/`).
 *
 * onnxruntime finds its provider libraries (libonnxruntime_providers_*.so)
 * in the folder of the libonnxruntime it runs from (its GetRuntimePath() is
 * dladdr of its own code), and the binding loads libonnxruntime from its own
 * folder (RUNPATH $ORIGIN). An installed extension's folder may not be
 * writable, and LD_LIBRARY_PATH cannot be changed once a process runs. So the
 * CUDA setup copies the binding and libonnxruntime beside the providers in
 * storage, and this module makes `require('onnxruntime-node')` load that
 * binding: the one place a module's resolution is redirected, by exact path.
 *
 * Limits: a process that has already loaded the bundled libonnxruntime keeps
 * it (the loader reuses a library by soname), so setting CUDA up in a running
 * window takes effect after the window reloads; loadedOrtDir() tells.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledBinDir, bundledOrtVersion } from './cudaPackage';

export const RUNTIME_MANIFEST = 'cmb-ort-cuda.json';
export const BINDING = 'onnxruntime_binding.node';
export const ORT_LIBRARY = 'libonnxruntime.so.1';

export interface RuntimeManifest {
  format: 1;
  ortVersion: string;
  package: { id: string; version: string; sha512Base64: string; source: 'feed' | 'file' };
  files: Array<{ name: string; size: number; sha256: string }>;
  installedAt: string;
}

export function cudaRuntimeRoot(storageDir: string): string {
  return path.join(storageDir, 'ort-cuda');
}

export function cudaRuntimeDir(storageDir: string, ortVersion = bundledOrtVersion()): string {
  return path.join(cudaRuntimeRoot(storageDir), ortVersion);
}

export function readRuntimeManifest(dir: string): RuntimeManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, RUNTIME_MANIFEST), 'utf8')) as RuntimeManifest;
    return m?.format === 1 && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The CUDA runtime set up for the bundled onnxruntime-node version, when it is
 * complete: its manifest matches the version and every file has its size.
 */
export function provisionedRuntime(storageDir: string, platform = process.platform, arch = process.arch): string | undefined {
  if (platform !== 'linux' || arch !== 'x64') return undefined;
  let version: string;
  try {
    version = bundledOrtVersion();
  } catch {
    return undefined;
  }
  const dir = cudaRuntimeDir(storageDir, version);
  const m = readRuntimeManifest(dir);
  if (!m || m.ortVersion !== version) return undefined;
  for (const f of m.files) {
    try {
      if (fs.statSync(path.join(dir, f.name)).size !== f.size) return undefined;
    } catch {
      return undefined;
    }
  }
  return m.files.some((f) => f.name === BINDING) ? dir : undefined;
}

let selected: string | undefined;
let patched = false;

/** Makes this thread load the binding from the CUDA runtime in storage, when one is set up. Call before onnxruntime-node loads. */
export function selectOrtRuntime(storageDir: string): string | undefined {
  if (patched) return selected;
  patched = true;
  const dir = provisionedRuntime(storageDir);
  if (!dir) return undefined;
  const stock = path.join(bundledBinDir(), BINDING);
  let stockReal: string;
  try {
    stockReal = fs.realpathSync(stock);
  } catch {
    return undefined;
  }
  const replacement = path.join(dir, BINDING);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require('node:module') as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    const resolved = resolve.call(this, request, ...rest);
    return resolved === stockReal || resolved === stock ? replacement : resolved;
  };
  selected = dir;
  return dir;
}

/** The CUDA runtime folder this thread chose at start, if any. */
export function selectedRuntimeDir(): string | undefined {
  return selected;
}

/**
 * The folder of the libonnxruntime mapped into this process (Linux), which is
 * where onnxruntime looks for provider libraries. Undefined before it loads
 * or where /proc is not there.
 */
export function loadedOrtDir(mapsFile = '/proc/self/maps'): string | undefined {
  let maps: string;
  try {
    maps = fs.readFileSync(mapsFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of maps.split('\n')) {
    const m = /\s(\/\S*\/libonnxruntime\.so[.\d]*)$/.exec(line);
    if (m) return path.dirname(m[1]!);
  }
  return undefined;
}

/** The folder onnxruntime will look for provider libraries in: the loaded library's, else the chosen runtime's, else the bundled one. */
export function providerLibraryDir(): string {
  return loadedOrtDir() ?? selected ?? bundledBinDir();
}
