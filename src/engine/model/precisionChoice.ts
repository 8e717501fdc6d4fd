/**
 * Which converted variant runs on which provider. `auto` takes the fastest
 * variant that keeps the encoder's outputs (bench/precision.ts, issue 12):
 * int8 on the CPU, float16 on GPU providers; a setting is followed as given,
 * with a word where it runs slowly.
 */
import type { ExecutionProviderName, PrecisionSetting } from '../coreProtocol';
import type { Precision } from './convert/variant';

export interface PrecisionChoice {
  precision: Precision;
  /** shown by Show Model Info and cmb info */
  reason: string;
}

export function choosePrecision(setting: PrecisionSetting, provider: ExecutionProviderName): PrecisionChoice {
  if (setting === 'auto') {
    return provider === 'cpu'
      ? { precision: 'int8', reason: 'auto: int8 on the CPU (about twice the speed of fp32, embeddings within cosine 0.99 of it)' }
      : { precision: 'fp16', reason: `auto: fp16 on ${provider}` };
  }
  if (setting === 'fp16' && provider === 'cpu') {
    return { precision: setting, reason: 'set to fp16; the CPU computes most float16 operations through float32 conversions, slower than fp32 or int8' };
  }
  if (setting === 'int8' && provider !== 'cpu') {
    return { precision: setting, reason: `set to int8; ${provider} runs the int8 matrix products on the CPU, slower than fp16` };
  }
  return { precision: setting, reason: `set to ${setting}` };
}
