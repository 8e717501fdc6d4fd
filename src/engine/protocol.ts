/**
 * The typed request/response protocol between the extension host (engineClient.ts)
 * and the engine worker (worker.ts). Each domain declares its methods in its own
 * file (declared with methodSpec.ts, reporting with progress.ts: both leaves);
 * this one joins them and nothing imports it back. Everything here must be
 * structured-cloneable.
 */
import type { EngineErrorValue } from './errors';
import type { Progress } from './progress';
import type { CoreMethods } from './coreProtocol';
import type { TaskMethods } from './tasks/protocol';
import type { IcdMethods } from './icd/protocol';
import type { SearchMethods } from './index/protocol';
import type { TrainMethods } from './train/protocol';
import type { DownloadMethods } from './model/download/protocol';
import type { GpuMethods } from './model/gpu/protocol';
import type { FinetuneMethods } from './finetune/protocol';

/** the client's view of the protocol includes what requests report */
export type { Progress } from './progress';

export type EngineMethods = CoreMethods & TaskMethods & IcdMethods & SearchMethods & TrainMethods & DownloadMethods & GpuMethods & FinetuneMethods;
export type MethodName = keyof EngineMethods;
export type ParamsOf<M extends MethodName> = EngineMethods[M]['params'];
export type ResultOf<M extends MethodName> = EngineMethods[M]['result'];

export type ToWorker =
  | { kind: 'request'; id: number; method: MethodName; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: EngineErrorValue }
  | { kind: 'progress'; id: number; progress: Progress }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'ready' };
