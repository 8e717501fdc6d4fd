import type { MethodSpec } from './methodSpec';
import type { Architecture } from './model/config';

export type ExecutionProviderName = 'cuda' | 'webgpu' | 'cpu';
export type ProviderSetting = 'auto' | ExecutionProviderName;
export type Pooling = 'mean' | 'cls';

export interface EngineSettings {
  executionProvider: ProviderSetting;
  windowTokens: number;
  windowStride: number;
  batchSize: number;
  /** 0: onnxruntime decides */
  threads: number;
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
  batchSize: 8,
  threads: 0,
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
  'model.convert': MethodSpec<{ path: string; settings: EngineSettings; force?: boolean }, { onnxPath: string; converted: boolean }>;
  'text.tokenize': MethodSpec<{ texts: string[] }, TokenizeResult[]>;
  embed: MethodSpec<{ texts: string[]; pooling?: Pooling }, EmbedResult>;
};
