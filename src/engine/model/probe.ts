/**
 * One short input through a freshly opened session before the model is used.
 * A checkpoint can load and still be wrong: an ONNX file from another model
 * than config.json (hidden size, vocabulary), a graph whose outputs have the
 * wrong rank (embeddings came out empty), or weights that turn every output
 * into NaN (embeddings printed as null, NaN vectors stored in the index). Each
 * is refused here, at load, with one line, instead of surfacing as silent
 * garbage in every feature.
 */
import type * as ort from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { ModelConfig } from './config';
import { padBatch } from './batching';
import { feedsFor, shortOrtReason, validateBatch, type InputLimits } from './session';

/** fixed words, never note text: the probe's input is the same for every load */
const probeText = 'Patient denies chest pain.';

export interface ProbeTokenizer {
  encode(text: string): { ids: number[] };
  readonly vocabSize: number;
  readonly padId: number;
}

/**
 * Runs the probe and checks every float output: finite values, and shapes that
 * agree with config.json (last_hidden_state [1, tokens, hidden_size]; logits
 * [1, tokens, labels] or [1, labels]). Throws EngineError naming the file.
 */
export async function probeSession(session: ort.InferenceSession, onnxPath: string, config: ModelConfig, tokenizer: ProbeTokenizer, limits: InputLimits): Promise<void> {
  const file = `The ONNX file ${onnxPath}`;
  const ids = tokenizer.encode(probeText).ids.slice(0, Math.max(2, config.maxPositionEmbeddings));
  // the tokenizer's highest id too: an ONNX file with a smaller vocabulary than config.json fails on it now, not on some later note
  const highest = Math.min(tokenizer.vocabSize, config.vocabSize) - 1;
  if (highest > 0 && ids.length >= 2 && ids.length < config.maxPositionEmbeddings) ids.splice(ids.length - 1, 0, highest);
  const batch = padBatch([ids], tokenizer.padId);
  validateBatch(batch, limits);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run(feedsFor(batch, session.inputNames));
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    if (/out of (data )?bounds|indices element/i.test(reason)) {
      throw new EngineError(
        'bad-config',
        `${file} has a smaller vocabulary than config.json's vocab_size ${config.vocabSize}: the ONNX file and config.json come from different models. Use the files of one checkpoint.`,
      );
    }
    throw new EngineError('bad-config', `${file} fails on a test input, so it does not match config.json or is damaged (onnxruntime: ${shortOrtReason(reason)}).`);
  }
  try {
    for (const name of session.outputNames) {
      const t = out[name] as ort.Tensor | undefined;
      if (!t || t.type !== 'float32') continue;
      checkShape(name, t.dims, ids.length, config, file);
      const data = t.data as Float32Array;
      for (let i = 0; i < data.length; i++) {
        // x - x is NaN exactly for NaN and the infinities
        if (data[i]! - data[i]! !== 0) {
          throw new EngineError(
            'corrupt-weights',
            `The model gives ${Number.isNaN(data[i]) ? 'NaN (not-a-number)' : 'infinite'} outputs on a test input: the ONNX file ${onnxPath} or config.json is damaged (weights, or values such as norm_eps out of range). Download or convert the checkpoint again.`,
          );
        }
      }
    }
  } finally {
    for (const name of Object.keys(out)) (out[name] as ort.Tensor | undefined)?.dispose?.();
  }
}

function checkShape(name: string, dims: readonly number[], tokens: number, config: ModelConfig, file: string): void {
  const shape = `[${dims.join(', ')}]`;
  if (name === 'last_hidden_state') {
    if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== tokens) {
      throw new EngineError('unsupported-model', `${file} gives last_hidden_state of shape ${shape} for 1 input of ${tokens} tokens; an encoder gives [batch, tokens, hidden_size].`);
    }
    if (dims[2] !== config.hiddenSize) {
      throw new EngineError(
        'bad-config',
        `${file} gives hidden states of size ${dims[2]} but config.json says hidden_size ${config.hiddenSize}: the ONNX file and config.json come from different models. Use the files of one checkpoint.`,
      );
    }
    return;
  }
  if (name === 'logits') {
    const perToken = dims.length === 3 && dims[0] === 1 && dims[1] === tokens;
    const perSequence = dims.length === 2 && dims[0] === 1;
    if ((!perToken && !perSequence) || !(dims.at(-1)! > 0)) {
      throw new EngineError('unsupported-model', `${file} gives logits of shape ${shape} for 1 input of ${tokens} tokens; expected [batch, tokens, labels] or [batch, labels].`);
    }
    const width = dims.at(-1)!;
    // masked-LM logits span the vocabulary; a classifier's span id2label
    if (width < config.vocabSize && config.id2label.length > 0 && width !== config.id2label.length) {
      throw new EngineError(
        'bad-config',
        `${file} gives ${width} scores per ${perToken ? 'token' : 'note'} but config.json's id2label has ${config.id2label.length} labels: the ONNX file and config.json come from different models.`,
      );
    }
  }
}
