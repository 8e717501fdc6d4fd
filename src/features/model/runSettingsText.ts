/**
 * How the loaded encoder runs, as text for the status-bar tooltip and Show
 * Model Info: the precision variant and why, threads, batch size in tokens.
 * No VS Code API here, so it is tested in plain Node.
 */
import type { ModelInfo } from '../../engine/coreProtocol';

type RunInfo = Pick<ModelInfo, 'precision' | 'precisionReason' | 'threads' | 'batchTokens'>;

/** "auto: int8 on the CPU (...); 4 threads; batches of up to 2048 tokens" (engines before precisions: fp32, nothing else known) */
export function runDetails(info: RunInfo): string {
  return [info.precisionReason, info.threads ? `${info.threads} threads` : undefined, info.batchTokens ? `batches of up to ${info.batchTokens} tokens` : undefined]
    .filter((s): s is string => Boolean(s))
    .join('; ');
}

/** "Precision: int8 (auto: int8 on the CPU ...; 4 threads; batches of up to 2048 tokens)" */
export function runLine(info: RunInfo): string {
  const details = runDetails(info);
  return `Precision: ${info.precision ?? 'fp32'}${details ? ` (${details})` : ''}`;
}
