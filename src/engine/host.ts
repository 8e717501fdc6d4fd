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

/** A task head in a folder beside the encoder (models/README.md), usable with run(..., { head: name }). */
export interface TaskHeadInfo {
  name: string;
  task: 'token' | 'sequence';
  /** label names in id2label order */
  labels: string[];
  /** e.g. the head was trained on a different encoder; it still runs */
  warning?: string;
  /** random weights (a test head): features that need a trained head switch off unless asked */
  demo?: boolean;
}

export interface ModelRunOptions {
  /** a head folder's name: its logits are computed from this batch's last_hidden_state and returned as "logits" */
  head?: string;
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
   * With opts.head, 'logits' come from that head folder instead of the checkpoint.
   */
  run(windows: readonly (readonly number[])[], outputs: readonly string[], signal?: AbortSignal, opts?: ModelRunOptions): Promise<Array<Record<string, TensorOut>>>;
  /** task heads found in the model folder's heads/ (absent: none) */
  heads?: readonly TaskHeadInfo[];
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
