/**
 * Methods of the training domain: fit a task head on frozen encoder features
 * (train.run), and score any head on a labelled dataset (train.evaluate).
 * Types only; the handlers are in handlers.ts.
 */
import type { MethodSpec } from '../methodSpec';
import type { DatasetProblem, LabelledDocument } from '../data/types';

/** `ner`: entities (a token head); `classify`: a label per note (a sequence head) */
export type TrainTask = 'ner' | 'classify';

export interface TrainParams {
  task: TrainTask;
  /** dataset files or folders (any format the dataset reader knows) */
  data?: string[];
  /** labelled notes given directly (the editor's labels), joined to `data` */
  documents?: LabelledDocument[];
  /** a dev set (early stopping) and a test set (the figures); absent: split off `data` by note, seeded 80/10/10 */
  dev?: string[];
  test?: string[];
  /** the head's folder name: written to <model>/heads/<name>/ */
  name: string;
  /** replace a head of that name (otherwise refused) */
  replace?: boolean;
  /** default 20 */
  epochs?: number;
  /** default 13: split, initial weights, shuffles and dropout */
  seed?: number;
  /** the encoder's last k layers, concatenated; default 1 */
  layers?: number;
  /** default linear */
  head?: 'linear' | 'mlp';
  /** classify: the note vector of a window; default mean */
  pooling?: 'cls' | 'mean';
  /** default 1e-3 */
  learningRate?: number;
  /** default 0.01 (weights only) */
  weightDecay?: number;
  /** mlp: dense width (default 256) and dropout (default 0.1) */
  mlpHidden?: number;
  dropout?: number;
  /** examples per step; default 64 (ner: words) or 16 (classify: windows) */
  batchSize?: number;
  /** 'balanced': each class weighs n / (classes * count); default none */
  classWeights?: 'none' | 'balanced';
  /** epochs without a better dev score before stopping; default 4 */
  patience?: number;
  /** feature cache size cap in bytes; default 4 GiB. 0: no cache */
  featureCacheBytes?: number;
}

/** What a progress event carries besides its message, for the editor's training view. */
export interface TrainingProgress {
  phase: 'reading' | 'features' | 'training' | 'testing' | 'writing';
  /** features: windows done of total */
  windowsDone?: number;
  windowsTotal?: number;
  /** training: the epoch that just ended (1-based) and the most there will be */
  epoch?: number;
  epochs?: number;
  /** mean training loss of that epoch */
  loss?: number;
  /** dev score after that epoch: entity micro-F1 (ner) or macro-F1 (classify) */
  devScore?: number;
  /** seconds left at most (early stopping may end sooner) */
  etaSeconds?: number;
}

export interface ScoreTriple {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Entity figures on a test set (docs/training.md says how each is computed). */
export interface NerFigures {
  task: 'ner';
  documents: number;
  /** words scored */
  words: number;
  /** micro, seqeval's default chunking: the highlights users see */
  precision: number;
  recall: number;
  f1: number;
  macro: { precision: number; recall: number; f1: number };
  token_accuracy: number;
  per_label: Record<string, ScoreTriple>;
  counts: { gold: number; predicted: number; correct: number };
  /** seqeval mode="strict" (IOB2): I- without B- is no entity */
  strict: { precision: number; recall: number; f1: number; macro_f1: number };
}

export interface ClassifyFigures {
  task: 'classify';
  documents: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, ScoreTriple>;
  /** rows: gold, columns: predicted, both in `labels` order */
  confusion: { labels: string[]; matrix: number[][] };
  /** two classes: AUROC of the second label's probability; else null */
  auroc: number | null;
}

export type Figures = NerFigures | ClassifyFigures;

export interface EpochRecord {
  epoch: number;
  /** mean training loss */
  loss: number;
  dev_loss: number;
  dev_score: number;
  seconds: number;
}

/** metrics.json beside a trained head's config.json */
export interface TrainingMetrics {
  format: 'cmb-training-metrics';
  version: 1;
  head: string;
  task: TrainTask;
  created: string;
  created_by: string;
  /** random-weight encoder: the figures measure plumbing, not quality */
  demo: boolean;
  encoder: { name: string; model_type: string; fingerprint: string; layers: number; hidden_size: number };
  dataset: {
    /** sha256 over every note's id, text and labels, per split */
    fingerprint: string;
    sources: { data: string[]; dev: string[]; test: string[]; documents_given: number };
    problems: number;
    /** the first 200 problems; all of them went to the log */
    problem_list: DatasetProblem[];
  };
  split: { seed: number; train: number; dev: number; test: number; dev_given: boolean; test_given: boolean };
  labels: string[];
  settings: {
    architecture: 'linear' | 'mlp';
    layers: number;
    pooling?: 'cls' | 'mean';
    epochs: number;
    batch_size: number;
    learning_rate: number;
    weight_decay: number;
    mlp_hidden?: number;
    dropout?: number;
    class_weights: 'none' | 'balanced';
    patience: number;
    window_tokens: number;
    seed: number;
  };
  history: EpochRecord[];
  best_epoch: number;
  dev: Figures;
  test: Figures;
  timings: {
    features_seconds: number;
    windows: number;
    windows_cached: number;
    /** tokens run through the encoder (0 when every window was cached) */
    tokens_encoded: number;
    training_seconds: number;
    seconds_per_epoch: number;
    total_seconds: number;
  };
}

export interface TrainResult {
  head: string;
  dir: string;
  metrics: TrainingMetrics;
  /** sentences for the user: tiny splits, labels without training examples, problems found */
  warnings: string[];
}

export interface EvaluateParams {
  /** a head folder of the loaded model; absent: the model's own token or sequence head (a fine-tuned checkpoint) */
  head?: string;
  data?: string[];
  documents?: LabelledDocument[];
}

export interface EvaluateResult {
  head: string;
  figures: Figures;
  problems: DatasetProblem[];
  warnings: string[];
  demo: boolean;
}

export type TrainMethods = {
  /** fits a head on the loaded model's frozen features; progress carries `training`; cancel leaves nothing behind */
  'train.run': MethodSpec<TrainParams, TrainResult>;
  /** scores a head folder of the loaded model on a labelled dataset, running it as inference does */
  'train.evaluate': MethodSpec<EvaluateParams, EvaluateResult>;
  /** the training report of a head (its metrics.json) as Markdown */
  'train.report': MethodSpec<{ head: string }, { markdown: string; metrics: TrainingMetrics }>;
};
