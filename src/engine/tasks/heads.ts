/**
 * Which task head the loaded model carries, read from config.json
 * (architectures, id2label) and the ONNX outputs; never guessed from sizes;
 * and which head a task uses: that one, or a head folder beside the encoder.
 */
import { EngineError } from '../errors';
import type { LoadedModel, ModelRunOptions } from '../host';
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

export interface TaskHead {
  labels: string[];
  /** pass to model.run: names the head folder, or is empty for the checkpoint's own logits */
  runOptions: ModelRunOptions;
  /** the head folder's name; undefined: the checkpoint's own head */
  name?: string;
  /** a head folder with random weights */
  demo?: boolean;
}

/**
 * The head a task runs with. A name (the request's, else the setting's) picks
 * a head folder and must exist; without one, the checkpoint's own head wins,
 * else the only head folder of that task. undefined: there is none; throws
 * when the name is unknown or several head folders could serve.
 */
export function chooseTaskHead(model: LoadedModel, task: 'token' | 'sequence', requested?: string): TaskHead | undefined {
  const folders = (model.heads ?? []).filter((h) => h.task === task);
  const settingName = task === 'token' ? 'clinicalModernbert.tokenHead' : 'clinicalModernbert.sequenceHead';
  if (requested) {
    const h = folders.find((f) => f.name === requested);
    if (!h) {
      const other = (model.heads ?? []).find((f) => f.name === requested);
      throw new EngineError(
        'unsupported-model',
        other
          ? `The task head "${requested}" classifies ${other.task === 'token' ? 'tokens' : 'whole notes'}, not ${task === 'token' ? 'tokens' : 'whole notes'}.`
          : `The model folder has no ${task}-classification head named "${requested}" (${folders.length ? `it has ${folders.map((f) => f.name).join(', ')}` : 'it has none'}); check ${settingName}.`,
      );
    }
    return { labels: h.labels, runOptions: { head: h.name }, name: h.name, ...(h.demo ? { demo: true } : {}) };
  }
  if (detectHead(model) === task) return { labels: labelsOf(model), runOptions: {} };
  if (folders.length === 1) return chooseTaskHead(model, task, folders[0]!.name);
  if (folders.length > 1) {
    throw new EngineError('unsupported-model', `The model folder has several ${task}-classification heads (${folders.map((f) => f.name).join(', ')}); choose one with ${settingName}.`);
  }
  return undefined;
}

export const HOW_TO_GET_A_TOKEN_HEAD =
  'Load a checkpoint fine-tuned for token classification (a ...ForTokenClassification model whose config.json has id2label with B-/I- tags), or fine-tune one from your labelled notes with "Clinical: Fine-tune" (it writes a head folder, heads/NAME, beside the model; see models/README.md). Lexicon terms are still highlighted.';

export const HOW_TO_GET_A_SEQUENCE_HEAD =
  'Load a checkpoint fine-tuned for sequence classification (a ...ForSequenceClassification model whose config.json has id2label, e.g. discharge_summary / radiology), or fine-tune one from your labelled notes with "Clinical: Fine-tune" (it writes a head folder, heads/NAME, beside the model; see models/README.md).';
