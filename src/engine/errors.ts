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
  | 'out-of-memory' // the fine-tuning companion ran out of GPU or CPU memory
  | 'interrupted' // fine-tuning stopped after saving a checkpoint; resume continues it
  | 'companion-failed' // the fine-tuning companion reported an error or ended unexpectedly
  | 'parity-failed' // a fine-tuned model gives other logits in the engine than in PyTorch; it is not installed
  | 'download-failed' // a download (model, GPU libraries) failed or was refused; nothing half-written is left under a real name
  | 'auth-required' // the Hub wants a token (gated or private repository), or refused the one given
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
