/**
 * The typed request/response protocol between the extension host (engineClient.ts)
 * and the engine worker (worker.ts). Each domain declares its methods in its own
 * file; this one joins them. Everything here must be structured-cloneable.
 */
import type { EngineErrorValue } from './errors';
import type { CoreMethods } from './coreProtocol';
import type { TaskMethods } from './tasks/protocol';
import type { IcdMethods } from './icd/protocol';
import type { SearchMethods } from './index/protocol';
import type { TrainingProgress, TrainMethods } from './train/protocol';
import type { DownloadMethods } from './model/download/protocol';
import type { GpuMethods } from './model/gpu/protocol';
import type { FinetuneMethods } from './finetune/protocol';

/** A method's params and result types. */
export interface MethodSpec<P, R> {
  params: P;
  result: R;
}

export type EngineMethods = CoreMethods & TaskMethods & IcdMethods & SearchMethods & TrainMethods & DownloadMethods & GpuMethods & FinetuneMethods;
export type MethodName = keyof EngineMethods;
export type ParamsOf<M extends MethodName> = EngineMethods[M]['params'];
export type ResultOf<M extends MethodName> = EngineMethods[M]['result'];

export interface Progress {
  /** what is happening, e.g. "Converting model.safetensors to ONNX" */
  message: string;
  /** 0..1 when known */
  fraction?: number;
  /** train.run: epoch, loss, dev score, ETA */
  training?: TrainingProgress;
}

export type ToWorker =
  | { kind: 'request'; id: number; method: MethodName; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: EngineErrorValue }
  | { kind: 'progress'; id: number; progress: Progress }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'ready' };
