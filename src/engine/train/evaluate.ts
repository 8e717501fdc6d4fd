/**
 * Scores a head folder on a labelled dataset the way the editor runs it: the
 * encoder and the head's ONNX graph (model.run with the head), then the same
 * decoding and figures as the trainer's test split (scoring.ts). Works for
 * any head folder, trained here or cut out of a transformers checkpoint.
 */
import { EngineError } from '../errors';
import type { LoadedModel, ModelRunOptions, TensorOut } from '../host';
import type { DatasetProblem } from '../data/types';
import { readDataset } from '../data/read';
import { alignDocuments, type AlignedDocument } from '../data/align';
import { classifyFigures, nerFigures, notePrediction, predictedWordTags } from './scoring';
import { detectHead, labelsOf } from '../tasks/heads';
import type { EvaluateParams, EvaluateResult, Figures } from './protocol';
import type { Progress } from '../progress';

/** windows per model.run call: progress and cancellation between calls */
const CHUNK = 64;

export async function evaluateHead(params: EvaluateParams, ctx: { model: LoadedModel; signal: AbortSignal; progress(p: Progress): void }): Promise<EvaluateResult> {
  const model = ctx.model;
  const head = scoringHeadOf(model, params.head);
  const documents = [...(params.documents ?? [])];
  const problems: DatasetProblem[] = [];
  if (params.data?.length) {
    const d = await readDataset(params.data);
    documents.push(...d.documents);
    problems.push(...d.problems);
  }
  if (documents.length === 0) throw new EngineError('bad-input', 'The dataset holds no notes: check the dataset files (--data).');
  const aligned = alignDocuments(documents, model, head.task);
  problems.push(...aligned.problems);
  const docs = aligned.documents;
  if (docs.length === 0) {
    throw new EngineError('bad-input', `None of the ${documents.length} notes has ${head.task === 'token' ? 'entity spans' : 'a document label'}, which the ${head.task === 'token' ? 'entity' : 'note'} head "${head.name}" is scored on.`);
  }
  const { figures, warnings } = await scoreDocuments(model, docs, head, ctx);
  const demo = model.info.demo || head.demo === true;
  if (demo) warnings.push('The encoder or the head has random weights (a demo model): the figures measure the plumbing, not quality.');
  return { head: head.name, figures, problems, warnings, demo };
}

/** The head a set of documents is scored with: a head folder's, or the checkpoint's own (runOptions {}). */
export interface ScoringHead {
  task: 'token' | 'sequence';
  labels: readonly string[];
  /** the head folder's name, or "model" for the checkpoint's own head (fine-tuned models) */
  name: string;
  runOptions: ModelRunOptions;
  demo?: boolean;
}

/** A head folder by name; without a name, the checkpoint's own token or sequence head. */
export function scoringHeadOf(model: LoadedModel, name: string | undefined): ScoringHead {
  if (name) {
    const head = model.heads?.find((h) => h.name === name);
    if (!head) {
      const known = (model.heads ?? []).map((h) => h.name).join(', ') || 'none';
      throw new EngineError('bad-input', `The model folder has no usable task head "${name}" (heads: ${known}).`);
    }
    return { task: head.task, labels: head.labels, name: head.name, runOptions: { head: head.name }, ...(head.demo ? { demo: true } : {}) };
  }
  const own = detectHead(model);
  if (own === 'none') {
    const known = (model.heads ?? []).map((h) => h.name).join(', ');
    throw new EngineError('bad-input', `The model has no token or sequence classification head of its own (config.json architectures and id2label)${known ? `; name one of its head folders (${known})` : ''}.`);
  }
  return { task: own, labels: labelsOf(model), name: 'model', runOptions: {} };
}

/**
 * Runs aligned documents through the model (encoder and head, as inference
 * does) and scores them with the trainer's decoding and figures.
 */
export async function scoreDocuments(
  model: LoadedModel,
  docs: readonly AlignedDocument[],
  head: ScoringHead,
  ctx: { signal: AbortSignal; progress(p: Progress): void },
): Promise<{ figures: Figures; warnings: string[] }> {
  const warnings: string[] = [];
  const windows = docs.flatMap((d) => d.windows.map((w) => w.ids));
  const logits: TensorOut[] = [];
  for (let i = 0; i < windows.length; i += CHUNK) {
    if (ctx.signal.aborted) throw new EngineError('cancelled', 'Evaluation was cancelled.');
    const out = await model.run(windows.slice(i, i + CHUNK), ['logits'], ctx.signal, head.runOptions);
    for (const o of out) logits.push(o['logits']!);
    ctx.progress({ message: `Scoring: ${Math.min(windows.length, i + CHUNK)} of ${windows.length} windows`, fraction: Math.min(1, (i + CHUNK) / windows.length) });
  }
  let k = 0;
  const perDoc = docs.map((d) => d.windows.map(() => logits[k++]!));
  let figures: Figures;
  if (head.task === 'token') {
    const known = new Set(head.labels.map((l) => l.replace(/^[BIELSU]-/, '')));
    const unknown = new Set<string>();
    for (const d of docs) for (const t of d.wordTags!) if (t !== 'O' && !known.has(t.slice(2))) unknown.add(t.slice(2));
    if (unknown.size) warnings.push(`The data has labels the head "${head.name}" does not know (${[...unknown].sort().join(', ')}): their entities count as missed.`);
    figures = nerFigures(docs.map((d) => d.wordTags!), docs.map((d, i) => predictedWordTags(d, perDoc[i]!, head.labels)));
  } else {
    const unknown = [...new Set(docs.map((d) => d.label!).filter((l) => !head.labels.includes(l)))].sort();
    if (unknown.length) warnings.push(`The data has labels the head "${head.name}" does not know (${unknown.join(', ')}): those notes count as wrong.`);
    figures = classifyFigures(head.labels, docs.map((d) => d.label!), docs.map((d, i) => notePrediction(d, perDoc[i]!, head.labels)));
  }
  return { figures, warnings };
}
