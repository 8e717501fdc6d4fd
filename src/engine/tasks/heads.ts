/**
 * Which task head the loaded model carries, read from config.json
 * (architectures, id2label) and the ONNX outputs; never guessed from sizes.
 */
import type { LoadedModel } from '../host';
import { detectScheme } from './nerDecode';

export type HeadKind = 'token' | 'sequence' | 'none';

export function detectHead(model: LoadedModel): HeadKind {
  const archs = model.config.architectures.join(' ');
  const labels = model.config.id2label.length > 0 ? model.config.id2label : model.info.labels;
  if (!model.info.outputs.includes('logits') || labels.length === 0) return 'none';
  if (/ForTokenClassification/.test(archs)) return 'token';
  if (/ForSequenceClassification/.test(archs)) return 'sequence';
  // e.g. ...ForMaskedLM: its logits score the vocabulary, and transformers writes a default
  // id2label (LABEL_0, LABEL_1) even into such configs, so labels alone prove nothing
  if (archs.trim() !== '') return 'none';
  // no architecture name: tag-shaped labels (B-/I-/O) mean a token head
  return detectScheme(labels) !== 'io' || labels.includes('O') ? 'token' : 'sequence';
}

export function labelsOf(model: LoadedModel): string[] {
  return model.config.id2label.length > 0 ? model.config.id2label : model.info.labels;
}

export const HOW_TO_GET_A_TOKEN_HEAD =
  'Load a checkpoint fine-tuned for token classification (a ...ForTokenClassification model whose config.json has id2label with B-/I- tags), or fine-tune one from your labelled notes with "Clinical: Fine-tune". Lexicon terms are still highlighted.';

export const HOW_TO_GET_A_SEQUENCE_HEAD =
  'Load a checkpoint fine-tuned for sequence classification (a ...ForSequenceClassification model whose config.json has id2label, e.g. discharge_summary / radiology), or fine-tune one from your labelled notes with "Clinical: Fine-tune".';
