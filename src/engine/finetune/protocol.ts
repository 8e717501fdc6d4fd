/**
 * Methods of the fine-tune domain: the engine's two halves of a full
 * fine-tune, around the PyTorch companion that the caller runs in between
 * (run.ts). Types only; the handlers are in handlers.ts.
 */
import type { MethodSpec } from '../methodSpec';
import type { DatasetProblem, LabelledDocument } from '../data/types';
import type { Figures, TrainTask } from '../train/protocol';

/** Which notes, split how: the same for preparing and for verifying (the split is recomputed, seeded). */
export interface FinetuneDataParams {
  task: TrainTask;
  /** dataset files or folders (any format the dataset reader knows) */
  data?: string[];
  /** labelled notes given directly (the editor's labels), joined to `data` */
  documents?: LabelledDocument[];
  /** absent: split off `data` by note, seeded 80/10/10 (as cmb train) */
  dev?: string[];
  test?: string[];
  /** split seed (the companion's seed too); default 13, as cmb train */
  seed: number;
  /** tokens per window, specials included (capped by the model's positions); default 512 */
  maxTokens?: number;
  /** tokens shared by consecutive windows; default 128 (clamped as inference clamps it) */
  stride?: number;
}

export interface FinetunePrepareParams extends FinetuneDataParams {
  /** the model folder to fine-tune (its tokenizer makes the windows) */
  model: string;
}

export interface PreparedSplitSize {
  documents: number;
  windows: number;
  tokens: number;
}

export interface FinetunePrepareResult {
  /** the companion's input file (0600, in `workDir`, a private folder the caller removes) */
  dataFile: string;
  workDir: string;
  labels: string[];
  splits: Record<string, PreparedSplitSize>;
  windowTokens: number;
  stride: number;
  datasetFingerprint: string;
  modelFingerprint: string;
  /** every problem counted; the first 200 listed */
  problemCount: number;
  problems: DatasetProblem[];
  /** sentences for the user: tiny splits, labels without training examples, problems found */
  warnings: string[];
}

export interface FinetuneVerifyParams extends FinetuneDataParams {
  /** the companion's output folder */
  out: string;
  /** the interpreter that trained it: it computes the reference logits */
  python: string;
  /** ONNX threads (0: onnxruntime decides) */
  threads?: number;
}

export interface ParityResult {
  /** largest |companion logit - onnxruntime logit| over the windows, fp32 on the CPU */
  max_abs_diff: number;
  tolerance: number;
  windows: number;
  passed: boolean;
}

export interface FigureAgreement {
  /** the largest difference between the engine's and the companion's test figures */
  max_diff: number;
  tolerance: number;
  /** the companion evaluated in fp32 (the tolerance is then rounding only) or with bf16 autocast */
  companion_precision: string;
  agreed: boolean;
  /** per figure: [engine, companion] */
  compared: Record<string, [number | null, number | null]>;
}

export interface FinetuneVerifyResult {
  out: string;
  onnxPath: string;
  parity: ParityResult;
  /** the engine's figures on the test split, running the exported model as inference does */
  figures: Figures;
  agreement: FigureAgreement;
  /** the companion's summary of the test split (its metrics.json) */
  companion: Record<string, number | null>;
  warnings: string[];
}

export type FinetuneMethods = {
  /** tokenizes, windows, aligns and splits labelled notes and writes the companion's input file */
  'finetune.prepare': MethodSpec<FinetunePrepareParams, FinetunePrepareResult>;
  /** converts the companion's output, checks logits parity, scores the test split and writes the figures into its metrics.json; refuses (parity-failed) and removes the converted file when they disagree */
  'finetune.verify': MethodSpec<FinetuneVerifyParams, FinetuneVerifyResult>;
};
