/**
 * Method handlers and the context each one runs with. Domains export a
 * `Handlers<TheirMethods>` record; the worker joins them into one table.
 */
import type { MethodSpec } from './methodSpec';
import type { Progress } from './progress';

export interface RequestContext {
  /** aborted when the caller cancels */
  signal: AbortSignal;
  progress(p: Progress): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** buffers to transfer (not copy) with the result */
  transfer(buffers: ArrayBuffer[]): void;
}

export type Handlers<T extends { [K in keyof T]: MethodSpec<unknown, unknown> }> = {
  [K in keyof T]: (params: T[K]['params'], ctx: RequestContext) => Promise<T[K]['result']>;
};
