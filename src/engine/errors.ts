/**
 * Errors the engine reports are values with a code a program can branch on and
 * a message a clinician can act on. Messages never contain note text.
 */
export type EngineErrorCode =
  | 'missing-file' // a required file is not in the model folder
  | 'unsupported-model' // model_type or architecture the engine cannot run
  | 'bad-config' // config.json is unreadable or inconsistent
  | 'vocab-mismatch' // tokenizer and config disagree on the vocabulary
  | 'corrupt-weights' // safetensors truncated, out of range, wrong dtype or shape
  | 'pickle-refused' // only pytorch_model.bin: unpickling can execute code
  | 'bad-tokenizer' // tokenizer.json unreadable or of an unsupported kind
  | 'bad-input' // a request's inputs are of the wrong type or shape
  | 'provider-failed' // no execution provider could load the model
  | 'cancelled' // the caller cancelled the request
  | 'worker-crashed' // the engine worker died; it is restarted
  | 'not-loaded' // a request needs a model and none is loaded
  | 'write-failed' // a converted model could not be written (disk full, read-only folder)
  | 'no-python' // no Python interpreter to run the fine-tuning companion
  | 'no-torch' // Python found, but without PyTorch >= 1.13 and numpy
  | 'no-cuda' // CUDA was asked for and torch cannot use it
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** The serialisable form that crosses the worker boundary. */
export interface EngineErrorValue {
  code: EngineErrorCode;
  message: string;
}

export function toErrorValue(e: unknown): EngineErrorValue {
  if (e instanceof EngineError) return { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message: `Internal engine error: ${message}` };
}
