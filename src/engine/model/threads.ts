/**
 * How many CPU threads inference may use. onnxruntime starts every thread it
 * is asked for: 10,000 from a typo in a setting stall the whole machine, so a
 * request above the machine's cores is lowered to them, with a notice.
 */
import * as os from 'node:os';

export function machineCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
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
