/**
 * How many CPU threads inference may use. onnxruntime starts every thread it
 * is asked for: 10,000 from a typo in a setting stall the whole machine, so a
 * request above the machine's cores is lowered to them, with a notice.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

export function machineCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * Logical CPUs per physical core (2 with SMT / hyper-threading), from Linux's
 * topology files; undefined where they cannot be read (other systems).
 */
export function threadsPerCore(cpuDir = '/sys/devices/system/cpu'): number | undefined {
  try {
    const cores = new Set<string>();
    let logical = 0;
    for (const name of readdirSync(cpuDir)) {
      if (!/^cpu\d+$/.test(name)) continue;
      let siblings: string;
      try {
        siblings = readFileSync(join(cpuDir, name, 'topology', 'thread_siblings_list'), 'utf8').trim();
      } catch {
        continue; // offline CPUs have no topology
      }
      const pkg = readFileSync(join(cpuDir, name, 'topology', 'physical_package_id'), 'utf8').trim();
      cores.add(`${pkg}:${siblings}`);
      logical++;
    }
    return cores.size > 0 ? Math.max(1, Math.round(logical / cores.size)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default intra-op thread count: one per physical core this process may
 * use. A second thread on a core's SMT sibling shares its vector units and
 * slows matrix kernels down. 0 where the topology is unknown: onnxruntime then
 * counts physical cores itself.
 */
export function defaultThreads(cores = machineCores(), cpuDir?: string): number {
  const perCore = threadsPerCore(cpuDir);
  return perCore === undefined ? 0 : Math.max(1, Math.floor(cores / perCore));
}

export interface ThreadChoice {
  /** 0: onnxruntime decides */
  threads: number;
  /** a line for the user when the request was changed */
  notice?: string;
}

/** `what` names the setting in the notice: "--threads" or "clinicalModernbert.threads". */
export function clampThreads(requested: unknown, what: string, cores = machineCores()): ThreadChoice {
  if (requested === undefined || requested === null || requested === 0) return { threads: 0 };
  if (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 0) {
    return { threads: 0, notice: `${what} must be a whole number of threads (0: automatic); ${JSON.stringify(requested)} is ignored and onnxruntime decides.` };
  }
  if (requested > cores) {
    return { threads: cores, notice: `${what} ${requested} is more than this machine's ${cores} CPU cores; using ${cores}.` };
  }
  return { threads: requested };
}
