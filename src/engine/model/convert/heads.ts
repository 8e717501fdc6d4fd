/**
 * Which task head a checkpoint carries. config.json's `architectures` decides
 * (the same classifier weights serve token and sequence classification);
 * the weights alone decide only when the config names no head.
 */
import { EngineError } from '../../errors';
import type { ModelConfig } from '../config';
import type { OnnxGraph } from './onnxModel';

export type HeadKind = 'none' | 'mlm' | 'token' | 'sequence';

export interface BuiltGraph {
  graph: OnnxGraph;
  head: HeadKind;
  /** logits width: vocabulary for mlm, number of labels for classifiers, 0 without a head */
  labels: number;
  inputNames: string[];
}

export type BuildProgress = (fraction: number, message: string) => void;

export interface HeadWeights {
  mlm: boolean;
  /** the weights alone say token classification */
  token: boolean;
  /** the weights alone say sequence classification */
  sequence: boolean;
  /** a `classifier` layer exists */
  classifierOnly: boolean;
}

export function chooseHead(cfg: ModelConfig, has: HeadWeights): HeadKind {
  const named = cfg.architectures;
  if (named.some((a) => a.endsWith('ForMaskedLM') || a.endsWith('ForPreTraining'))) return has.mlm ? 'mlm' : 'none';
  if (named.some((a) => a.endsWith('ForTokenClassification'))) return has.classifierOnly ? 'token' : 'none';
  if (named.some((a) => a.endsWith('ForSequenceClassification'))) return has.classifierOnly ? 'sequence' : 'none';
  if (has.mlm) return 'mlm';
  if (has.sequence) return 'sequence';
  if (has.token) return 'token';
  if (has.classifierOnly) {
    throw new EngineError(
      'bad-config',
      'The checkpoint has a classifier but config.json\'s "architectures" does not say whether it classifies tokens or whole notes; add "ForTokenClassification" or "ForSequenceClassification" to it.',
    );
  }
  return 'none';
}
