/**
 * Where Linux's dynamic loader looks for a library by soname, in its order:
 * the needing library's run path, LD_LIBRARY_PATH (as it was when the process
 * started: it cannot be changed afterwards), the folders of /etc/ld.so.conf
 * (what ldconfig caches), then the default folders. And where CUDA libraries
 * are often installed without being on that path (the CUDA toolkit's folder,
 * conda, pip's nvidia-* wheels), so the diagnosis can say "found, but the
 * loader does not look there".
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SearchRoots {
  env: NodeJS.ProcessEnv;
  arch: string;
  /** /etc/ld.so.conf, replaceable in tests */
  ldSoConf: string;
  /** prefix for the default folders (tests use a fake root) */
  root: string;
}

export function defaultRoots(env: NodeJS.ProcessEnv = process.env): SearchRoots {
  return { env, arch: process.arch, ldSoConf: '/etc/ld.so.conf', root: '/' };
}

/** Expands "*" within path segments (as ld.so.conf's include and our CUDA guesses need), sorted. */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let current = [parts[0] === '' ? '/' : parts[0]!];
  for (const seg of parts.slice(1)) {
    if (!seg) continue;
    const next: string[] = [];
    for (const dir of current) {
      if (!seg.includes('*')) {
        next.push(path.join(dir, seg));
        continue;
      }
      const re = new RegExp(`^${seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      try {
        for (const name of fs.readdirSync(dir).sort()) if (re.test(name)) next.push(path.join(dir, name));
      } catch {
        /* no such folder */
      }
    }
    current = next;
  }
  return current.filter((p) => fs.existsSync(p));
}

/** Folders listed in ld.so.conf and the files it includes (one level of nesting is what distributions use; we allow four). */
export function ldSoConfDirs(file: string, depth = 0): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const inc = /^include\s+(.+)$/.exec(line);
    if (inc) {
      if (depth >= 4) continue;
      const pattern = path.isAbsolute(inc[1]!) ? inc[1]! : path.join(path.dirname(file), inc[1]!);
      for (const f of expandGlob(pattern)) dirs.push(...ldSoConfDirs(f, depth + 1));
    } else if (line.startsWith('/')) dirs.push(line.split(/\s+/)[0]!);
  }
  return dirs;
}

function multiarch(arch: string): string {
  return arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
}

/** The loader's folders after the run path, in order, without repeats. */
export function loaderSearchDirs(r: SearchRoots): string[] {
  const under = (p: string) => path.join(r.root, p);
  const dirs = [
    ...(r.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    ...ldSoConfDirs(r.ldSoConf).map((d) => (r.root === '/' ? d : path.join(r.root, d))),
    under(`/lib/${multiarch(r.arch)}`),
    under(`/usr/lib/${multiarch(r.arch)}`),
    under('/lib64'),
    under('/usr/lib64'),
    under('/lib'),
    under('/usr/lib'),
  ];
  return [...new Set(dirs)];
}

/** Folders where CUDA, cuDNN and the driver's libraries are often found although the loader may not search them. */
export function likelyCudaDirs(r: SearchRoots): string[] {
  const home = r.env.HOME || os.homedir();
  const under = (p: string) => path.join(r.root, p);
  const patterns = [
    ...[r.env.CUDA_PATH, r.env.CUDA_HOME].filter((d): d is string => !!d).flatMap((d) => [path.join(d, 'lib64'), path.join(d, 'lib')]),
    under('/usr/local/cuda/lib64'),
    under('/usr/local/cuda-*/lib64'),
    under('/usr/local/cuda/targets/*/lib'),
    under('/opt/cuda/lib64'),
    under('/usr/lib/wsl/lib'),
    ...(r.env.CONDA_PREFIX ? [path.join(r.env.CONDA_PREFIX, 'lib')] : []),
    // pip's nvidia-cuda-runtime-cu12, nvidia-cublas-cu12, nvidia-cudnn-cu12, ... (torch installs them)
    ...(r.env.VIRTUAL_ENV ? [path.join(r.env.VIRTUAL_ENV, 'lib/python3*/site-packages/nvidia/*/lib')] : []),
    path.join(home, '.local/lib/python3*/site-packages/nvidia/*/lib'),
    under('/usr/local/lib/python3*/dist-packages/nvidia/*/lib'),
    under('/usr/lib/python3/dist-packages/nvidia/*/lib'),
  ];
  return [...new Set(patterns.flatMap((p) => (p.includes('*') ? expandGlob(p) : [p])))];
}

/** The first folder holding `soname`, or undefined. */
export function findIn(soname: string, dirs: readonly string[]): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, soname);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}
