/**
 * Which encoder outputs hold which layer. A converted graph gives the last
 * layer as `last_hidden_state` and every earlier layer i (1-based, the
 * numbering of transformers' `hidden_states`) as `hidden_states.<i>`, so a
 * head can read the concatenation of the last k layers. The heads trained
 * here (train/) and the runner feeding them (runner.ts) use these names.
 *
 * ModernBERT: `last_hidden_state` is the final norm's output, the earlier
 * layers are the raw residual stream, as transformers returns them.
 */
import { EngineError } from '../errors';

export const LAST_HIDDEN_STATE = 'last_hidden_state';

export function hiddenStateOutput(layer: number, numLayers: number): string {
  return layer === numLayers ? LAST_HIDDEN_STATE : `hidden_states.${layer}`;
}

/**
 * The outputs that hold the last `k` layers, in the order their features are
 * concatenated: earliest first, `last_hidden_state` last.
 */
export function lastLayerOutputs(numLayers: number, k: number): string[] {
  if (!Number.isInteger(k) || k < 1 || k > numLayers) {
    throw new EngineError('bad-input', `The number of layers to read must be between 1 and the encoder's ${numLayers}; got ${k}.`);
  }
  return Array.from({ length: k }, (_, i) => hiddenStateOutput(numLayers - k + 1 + i, numLayers));
}
