/**
 * What domain handlers (embed, ner, classify, index, icd) get from the engine:
 * the loaded model, the settings, and a place to keep files. Handlers are built
 * by factories `createXHandlers(host)` so they stay testable in plain Node.
 */
import type { EngineSettings, ModelInfo } from './coreProtocol';
import type { ModelConfig } from './model/config';
import type { Encoding, TokenWindow } from './text/types';

export interface TensorOut {
  data: Float32Array;
  /** e.g. [seq, hidden] for last_hidden_state of one window, [labels] for sequence logits */
  dims: number[];
}

export interface TokenizerLike {
  /** content tokens only when addSpecialTokens is false */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): Encoding;
  readonly vocabSize: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
}

export interface LoadedModel {
  info: ModelInfo;
  config: ModelConfig;
  tokenizer: TokenizerLike;
  /** splits a note into windows of the configured size and stride, each with its character span */
  windows(text: string): TokenWindow[];
  /**
   * Runs windows through the model in length-bucketed batches (padding removed
   * from the results): one record per window, keyed by output name
   * ('last_hidden_state' as [seq, hidden], 'logits' as [seq, labels] or [labels]).
   */
  run(windows: readonly (readonly number[])[], outputs: readonly string[], signal?: AbortSignal): Promise<Array<Record<string, TensorOut>>>;
  /** releases the inference session */
  dispose(): Promise<void>;
}

export interface EngineHost {
  settings(): EngineSettings;
  /** the loaded model; throws EngineError('not-loaded') when none is */
  model(): LoadedModel;
  /** a folder the engine may write to (index databases, code sets); set by the extension or CLI */
  storageDir(): string;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}
