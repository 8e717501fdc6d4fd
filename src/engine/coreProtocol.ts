import type { MethodSpec } from './methodSpec';
import type { Architecture } from './model/config';
import type { Precision } from './model/convert/variant';

export type ExecutionProviderName = 'cuda' | 'webgpu' | 'cpu';
export type ProviderSetting = 'auto' | ExecutionProviderName;
/** auto: int8 on the CPU, float16 on a GPU provider, float32 where neither can be had */
export type PrecisionSetting = 'auto' | Precision;
export const precisionSettings: readonly PrecisionSetting[] = ['auto', 'fp32', 'fp16', 'int8'];
export type Pooling = 'mean' | 'cls';

export interface EngineSettings {
  executionProvider: ProviderSetting;
  windowTokens: number;
  windowStride: number;
  /** windows per batch, at most */
  batchSize: number;
  /** padded tokens per batch, at most, so batches of long and short windows take the same memory; absent: the default */
  batchTokens?: number;
  /** 0: one thread per physical core (onnxruntime's own count where the topology is unknown) */
  threads: number;
  /** which converted variant runs; absent: auto */
  precision?: PrecisionSetting;
  pooling: Pooling;
  /** where converted ONNX files are cached; empty: beside the checkpoint (onnx/model.onnx) */
  cacheDir: string;
  /** head folder (heads/NAME) for entities / classification; empty or absent: the checkpoint's own head, else the only head of that task */
  tokenHead?: string;
  sequenceHead?: string;
}

export const defaultEngineSettings: EngineSettings = {
  executionProvider: 'auto',
  windowTokens: 512,
  windowStride: 128,
  batchSize: 64,
  batchTokens: 2048,
  threads: 0,
  precision: 'auto',
  pooling: 'mean',
  cacheDir: '',
  tokenHead: '',
  sequenceHead: '',
};

/** What the status bar and `cmb info` show about the loaded model. */
export interface ModelInfo {
  path: string;
  /** folder name, or the name in config.json */
  name: string;
  architecture: Architecture;
  architectures: string[];
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  vocabSize: number;
  /** the provider the session actually uses */
  provider: ExecutionProviderName;
  /** providers that were tried and failed, with the reason */
  providerFailures: Array<{ provider: ExecutionProviderName; reason: string }>;
  /** the variant that runs (absent from engines before precisions existed: fp32) */
  precision?: Precision;
  /** why that variant: the setting, or what auto chose for the provider */
  precisionReason?: string;
  /** intra-op threads the session runs with; 0: onnxruntime's own choice */
  threads?: number;
  /** padded tokens per batch, at most */
  batchTokens?: number;
  /** outputs of the ONNX graph, e.g. last_hidden_state, logits */
  outputs: string[];
  /** id2label of the head, if any */
  labels: string[];
  /** task heads in folders beside the encoder (heads/NAME), usable ones only; broken ones are logged */
  taskHeads?: Array<{ name: string; task: 'token' | 'sequence'; labels: string[]; warning?: string; demo?: boolean }>;
  /** effective window size (setting capped by max_position_embeddings) */
  windowTokens: number;
  /** true for generated demo or random-weight checkpoints: quality-dependent features switch off */
  demo: boolean;
  onnxPath: string;
}

export interface TokenizeResult {
  ids: number[];
  offsets: Array<[number, number]>;
}

export interface EmbedResult {
  /** one L2-normalised vector per text, each `dims` long */
  embeddings: Float32Array[];
  dims: number;
  /** content tokens per text (specials excluded), summed over windows */
  tokens: number[];
}

export type CoreMethods = {
  'model.load': MethodSpec<{ path: string; settings: EngineSettings }, ModelInfo>;
  'model.info': MethodSpec<Record<string, never>, ModelInfo | null>;
  'model.convert': MethodSpec<{ path: string; settings: EngineSettings; force?: boolean }, { onnxPath: string; converted: boolean; precision?: Precision; fallback?: string }>;
  'text.tokenize': MethodSpec<{ texts: string[] }, TokenizeResult[]>;
  embed: MethodSpec<{ texts: string[]; pooling?: Pooling }, EmbedResult>;
};
