/**
 * Finds a Python interpreter that can run the fine-tuning companion
 * (companion/: PyTorch >= 1.13 and numpy). Candidates are tried in order: an
 * explicit path (the clinicalModernbert.python setting, the Python extension's
 * active environment, or `cmb finetune --python`), then `python3` on the PATH,
 * `/usr/bin/python3` (where Debian's python3-torch lives), then `python`. Each
 * is checked by running a short probe with a timeout; nothing is imported from
 * the companion, so a broken checkout still gets a clear answer.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { EngineError } from '../errors';

export const minimumTorch: readonly [number, number] = [1, 13];

/** What one interpreter reported. */
export interface PythonProbe {
  /** the command or path that was run */
  command: string;
  /** sys.executable: the interpreter's real path */
  executable: string;
  python: string;
  torch: string | null;
  numpy: string | null;
  cuda: boolean;
  /** why CUDA is not available, in torch's words (null when it is) */
  cudaReason: string | null;
}

export interface PythonRejection {
  command: string;
  problem: string;
}

export interface FoundPython extends PythonProbe {
  /** candidates tried before this one and why they were passed over */
  skipped: PythonRejection[];
}

export interface FindPythonOptions {
  /** an interpreter the user named; tried first */
  explicit?: string;
  /** fail unless the interpreter's torch can use CUDA */
  requireCuda?: boolean;
  /** per probe (importing torch takes seconds on a cold disk) */
  timeoutMs?: number;
  /** the search path for bare command names (default: process.env.PATH) */
  pathEnv?: string;
  /** replaces the default candidates after `explicit` (tests) */
  candidates?: string[];
}

export const probeMarker = 'CMB_PYTHON_PROBE ';

/** Prints one marked JSON line; other output (a sitecustomize banner) is ignored. */
export const probeScript = [
  'import json, platform, sys',
  'r = {"python": platform.python_version(), "executable": sys.executable, "torch": None, "numpy": None, "cuda": False, "cuda_reason": None}',
  'try:',
  '    import numpy; r["numpy"] = numpy.__version__',
  'except Exception:',
  '    pass',
  'try:',
  '    import torch; r["torch"] = torch.__version__',
  '    if torch.version.cuda is None:',
  '        r["cuda_reason"] = "this PyTorch was built without CUDA"',
  '    elif torch.cuda.is_available():',
  '        r["cuda"] = True',
  '    else:',
  '        try:',
  '            torch.cuda.init(); r["cuda_reason"] = "no CUDA GPU is visible"',
  '        except Exception as e:',
  '            r["cuda_reason"] = (str(e).strip().splitlines() or ["CUDA could not start"])[0][:300]',
  'except Exception as e:',
  '    r["torch_error"] = type(e).__name__',
  `print(${JSON.stringify(probeMarker)} + json.dumps(r))`,
].join('\n');

export function defaultCandidates(): string[] {
  return process.platform === 'win32' ? ['python3', 'python', 'py'] : ['python3', '/usr/bin/python3', 'python'];
}

/** "1.13.0a0+gitabc" -> [1, 13]; undefined when unreadable */
export function torchVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function atLeast(v: [number, number], min: readonly [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** A bare command's file on the search path, resolved through links (so python3 and /usr/bin/python3 are probed once). */
function resolveCommand(command: string, pathEnv: string): string | undefined {
  const exts = process.platform === 'win32' ? ['', '.exe', '.bat', '.cmd'] : [''];
  const dirs = isAbsolute(command) || command.includes('/') || command.includes('\\') ? [''] : pathEnv.split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = dir ? join(dir, command + ext) : command + ext;
      try {
        accessSync(file, constants.X_OK);
        return realpathSync(file);
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Runs the probe; a problem in words when the interpreter cannot be used at all. */
export function probePython(command: string, timeoutMs = 30_000, pathEnv = process.env['PATH'] ?? ''): Promise<PythonProbe | PythonRejection> {
  const file = resolveCommand(command, pathEnv);
  if (!file) return Promise.resolve({ command, problem: 'not found' });
  return new Promise((resolve) => {
    execFile(file, ['-c', probeScript], { timeout: timeoutMs, maxBuffer: 1 << 20, windowsHide: true }, (err, stdout) => {
      const line = stdout.split('\n').find((l) => l.startsWith(probeMarker));
      if (!line) {
        const killed = err && ((err as NodeJS.ErrnoException & { killed?: boolean }).killed || (err as { signal?: string }).signal === 'SIGTERM');
        resolve({ command, problem: killed ? `did not answer within ${timeoutMs < 1000 ? (timeoutMs / 1000).toFixed(1) : Math.round(timeoutMs / 1000)} s` : 'is not a working Python 3 interpreter' });
        return;
      }
      try {
        const r = JSON.parse(line.slice(probeMarker.length)) as Record<string, unknown>;
        const str = (k: string): string | null => (typeof r[k] === 'string' ? (r[k] as string) : null);
        resolve({
          command,
          executable: str('executable') ?? file,
          python: str('python') ?? '?',
          torch: str('torch'),
          numpy: str('numpy'),
          cuda: r['cuda'] === true,
          cudaReason: str('cuda_reason'),
        });
      } catch {
        resolve({ command, problem: 'is not a working Python 3 interpreter' });
      }
    });
  });
}

/** Why a working interpreter cannot run the companion, or undefined when it can. */
function unfit(p: PythonProbe): string | undefined {
  if (!p.torch) return `has no PyTorch (Python ${p.python})`;
  const v = torchVersion(p.torch);
  if (!v || !atLeast(v, minimumTorch)) return `has PyTorch ${p.torch}, older than ${minimumTorch.join('.')}`;
  if (!p.numpy) return `has PyTorch ${p.torch} but no numpy`;
  return undefined;
}

const installHint = 'Install them with `python3 -m pip install torch numpy` (or on Debian/Ubuntu `apt install python3-torch python3-numpy`), or name an interpreter that has them in the clinicalModernbert.python setting (cmb finetune --python).';

/**
 * The first candidate with PyTorch >= 1.13 and numpy. Throws EngineError:
 * no-python (nothing ran), no-torch (each one tried and what it lacks), or
 * no-cuda (requireCuda and torch's reason).
 */
export async function findPython(opts: FindPythonOptions = {}): Promise<FoundPython> {
  const pathEnv = opts.pathEnv ?? process.env['PATH'] ?? '';
  const commands = [...(opts.explicit ? [opts.explicit] : []), ...(opts.candidates ?? defaultCandidates())];
  const skipped: PythonRejection[] = [];
  const seen = new Set<string>();
  let ran = false;
  for (const command of commands) {
    const file = resolveCommand(command, pathEnv);
    if (file && seen.has(file)) continue;
    if (file) seen.add(file);
    const probe = await probePython(command, opts.timeoutMs, pathEnv);
    if ('problem' in probe) {
      skipped.push(probe);
      continue;
    }
    ran = true;
    const problem = unfit(probe);
    if (problem) {
      skipped.push({ command, problem });
      continue;
    }
    if (opts.requireCuda && !probe.cuda) {
      throw new EngineError('no-cuda', `CUDA was requested but PyTorch ${probe.torch} in ${probe.executable} cannot use it: ${probe.cudaReason ?? 'CUDA is not available'}. Train with --device cpu, or use an interpreter whose PyTorch has CUDA.`);
    }
    return { ...probe, skipped };
  }
  const tried = skipped.map((s) => `${s.command} ${s.problem}`).join('; ');
  if (!ran) {
    throw new EngineError('no-python', `No Python interpreter was found to run the fine-tuning companion (tried: ${tried}). Install Python 3 with PyTorch and numpy, or set clinicalModernbert.python (cmb finetune --python) to the interpreter's path.`);
  }
  throw new EngineError('no-torch', `No Python with PyTorch >= ${minimumTorch.join('.')} and numpy was found (${tried}). ${installHint}`);
}
