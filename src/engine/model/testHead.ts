/**
 * Seeded random head folders beside a test encoder (heads/NAME/), in the
 * format of models/README.md, for tests and demos of heads that live outside
 * the checkpoint. config.json's created_by says they are random.
 */
import { inspectModelFolder } from './folder';
import { writeHeadFolder } from './headFolder';
import type { ClassifierTask, HeadArchitecture, HeadPooling } from './convert/classifierHead';
import { TensorPlan, testSequenceLabels, testTokenLabels } from './testModel';

export interface MakeTestHeadOptions {
  encoderDir: string;
  name: string;
  task: ClassifierTask;
  /** default: the test model's token or sequence labels */
  labels?: readonly string[];
  /** default: linear (BERT tokens), bert-pooler (BERT notes), modernbert-head (ModernBERT) */
  architecture?: HeadArchitecture;
  /** sequence tasks; default cls */
  pooling?: HeadPooling;
  seed?: number;
  /** weight standard deviation (default 0.02) */
  std?: number;
}

/** Writes <encoderDir>/heads/<name>/ and returns its path. */
export function makeTestHead(o: MakeTestHeadOptions): string {
  const encoder = inspectModelFolder(o.encoderDir, { acceptVocabTxt: true });
  const cfg = encoder.config;
  const H = cfg.hiddenSize;
  const labels = o.labels ?? (o.task === 'token' ? testTokenLabels : testSequenceLabels);
  const architecture = o.architecture ?? (cfg.modelType === 'modernbert' ? 'modernbert-head' : o.task === 'token' ? 'linear' : 'bert-pooler');
  const plan = new TensorPlan(o.seed ?? 99, o.std ?? 0.02, true);
  if (architecture === 'bert-pooler') plan.linear('pooler.dense', H, H);
  if (architecture === 'modernbert-head') {
    plan.linear('head.dense', H, H, cfg.modernbert?.classifierBias ?? false);
    plan.norm('head.norm', H, cfg.modernbert?.normBias ?? false);
  }
  plan.linear('classifier', labels.length, H);
  return writeHeadFolder({
    encoder, name: o.name, task: o.task, architecture, labels,
    pooling: o.task === 'sequence' ? o.pooling ?? (architecture === 'bert-pooler' ? 'cls' : cfg.modernbert?.classifierPooling ?? 'cls') : undefined,
    activation: cfg.modernbert?.classifierActivation, normEps: cfg.modernbert ? cfg.layerNormEps : undefined,
    tensors: plan.tensors, createdBy: 'makeTestHead (random weights)', demo: true,
  });
}
