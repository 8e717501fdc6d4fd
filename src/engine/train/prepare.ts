/**
 * Labelled notes -> aligned train / dev / test splits and the label list: the
 * first half of training, shared by the frozen-encoder trainer (trainer.ts)
 * and the full fine-tune (finetune/), so both see the same notes, the same
 * split (seeded, by note) and the same labels for the same settings.
 *
 * 1. Read the datasets; align every note to the model's tokens and windows
 *    (data/align.ts); problems are reported, never dropped silently.
 * 2. Split by note: seeded 80/10/10 unless dev and test sets are given.
 * 3. Labels: IOB2 tags of the entity types found (ner), or the note labels
 *    found (classify), sorted; labels the train split lacks are warned about.
 */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { EngineError } from '../errors';
import type { DatasetProblem, LabelledDocument } from '../data/types';
import { readDataset } from '../data/read';
import { alignDocuments, iob2Tags, type AlignedDocument, type AlignTask, type WindowSource } from '../data/align';
import { SeededRandom } from '../seededRandom';
import type { TrainTask } from './protocol';

export const MIN_NOTES_TO_SPLIT = 10;
/** problems kept in metrics.json and logged; the count is always complete */
export const PROBLEMS_KEPT = 200;

function bad(message: string): never {
  throw new EngineError('bad-input', message);
}

/** " (N problems in the data; the first: ...)" for an error that problems may explain; offsets and labels only, never note text */
export function firstProblem(problems: readonly DatasetProblem[]): string {
  const p = problems[0];
  if (!p) return '';
  return ` (${problems.length} problem${problems.length === 1 ? '' : 's'} in the data; the first: ${p.doc}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}: ${p.message.replace(/\.$/, '')})`;
}

export function problemLine(p: DatasetProblem): string {
  return `${p.doc}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}: ${p.message}`;
}

export async function readSources(paths: readonly string[] | undefined, given: readonly LabelledDocument[] = []): Promise<{ documents: LabelledDocument[]; problems: DatasetProblem[] }> {
  const documents: LabelledDocument[] = [...given];
  const problems: DatasetProblem[] = [];
  if (paths && paths.length > 0) {
    for (const p of paths) if (!fs.existsSync(p)) bad(`The dataset ${p} does not exist.`);
    const d = await readDataset([...paths]);
    documents.push(...d.documents);
    problems.push(...d.problems);
  }
  return { documents, problems };
}

/** Note indices for train / dev / test: shuffled with the seed, 10% each for dev and test when not given. */
export function splitNotes(n: number, seed: number, devGiven: boolean, testGiven: boolean): { train: number[]; dev: number[]; test: number[] } {
  const order = new SeededRandom(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const share = devGiven || testGiven ? 1 / 9 : 0.1;
  const take = (given: boolean) => (given ? 0 : Math.max(1, Math.round(n * share)));
  const nTest = take(testGiven);
  const nDev = take(devGiven);
  return { test: order.slice(0, nTest).sort((a, b) => a - b), dev: order.slice(nTest, nTest + nDev).sort((a, b) => a - b), train: order.slice(nTest + nDev).sort((a, b) => a - b) };
}

/** sha256 over each split's notes (id, text, spans, label), so metrics.json says exactly what was trained and tested on. */
export function datasetFingerprint(splits: Record<string, readonly AlignedDocument[]>, source: Map<string, LabelledDocument>): string {
  const h = createHash('sha256');
  for (const [name, docs] of Object.entries(splits)) {
    h.update(`\u0001${name}`);
    for (const d of docs) {
      const doc = source.get(d.id);
      const spans = [...(doc?.spans ?? [])].sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : 1)).map((s) => [s.start, s.end, s.label]);
      h.update(JSON.stringify([d.id, d.text, spans, doc?.label ?? null]));
    }
  }
  return `sha256:${h.digest('hex')}`;
}

export interface SplitParams {
  task: TrainTask;
  data?: readonly string[];
  documents?: readonly LabelledDocument[];
  dev?: readonly string[];
  test?: readonly string[];
  seed: number;
}

export interface PreparedSplits {
  task: AlignTask;
  /** id2label: IOB2 tags (ner) or note labels (classify) */
  labels: string[];
  train: AlignedDocument[];
  dev: AlignedDocument[];
  test: AlignedDocument[];
  devGiven: boolean;
  testGiven: boolean;
  /** every problem found, in reading order (spans or notes left out, duplicates) */
  problems: DatasetProblem[];
  /** the notes as read, by id (for the dataset fingerprint) */
  source: Map<string, LabelledDocument>;
  /** sha256 of the three splits' notes and labels */
  fingerprint: string;
}

/**
 * Reads, aligns, splits and labels. Throws EngineError('bad-input') with one
 * sentence when there is nothing to learn from; `warn` gets the sentences a
 * user should see (tiny test split, labels without training examples,
 * problems found); `cancelled` makes the error thrown when the signal fires.
 */
export async function prepareSplits(
  params: SplitParams,
  windows: WindowSource,
  ctx: { signal: AbortSignal; warn(message: string): void; cancelled(): Error },
): Promise<PreparedSplits> {
  const task: AlignTask = params.task === 'ner' ? 'token' : 'sequence';
  const data = await readSources(params.data, params.documents ?? []);
  const devGiven = (params.dev?.length ?? 0) > 0;
  const testGiven = (params.test?.length ?? 0) > 0;
  const devSrc = devGiven ? await readSources(params.dev) : undefined;
  const testSrc = testGiven ? await readSources(params.test) : undefined;
  if (data.documents.length === 0) bad('The training data holds no notes: check the dataset files (--data).');
  const problems: DatasetProblem[] = [...data.problems, ...(devSrc?.problems ?? []), ...(testSrc?.problems ?? [])];
  const align = (docs: LabelledDocument[]) => {
    const r = alignDocuments(docs, windows, task);
    problems.push(...r.problems);
    return r.documents;
  };
  const alignedData = align(data.documents);
  const alignedDev = devSrc ? align(devSrc.documents) : undefined;
  const alignedTest = testSrc ? align(testSrc.documents) : undefined;
  if (ctx.signal.aborted) throw ctx.cancelled();
  const needs = task === 'token' ? 'entity spans (a "spans" list)' : 'a document label';
  if (alignedData.length === 0) bad(`None of the ${data.documents.length} notes has ${needs}; ${task === 'token' ? 'for note labels use the classify task' : 'for entity spans use the ner task'}${firstProblem(problems)}.`);
  if (alignedDev?.length === 0) bad(`None of the dev notes has ${needs}.`);
  if (alignedTest?.length === 0) bad(`None of the test notes has ${needs}.`);
  if ((!devGiven || !testGiven) && alignedData.length < MIN_NOTES_TO_SPLIT) {
    bad(`The training data has ${alignedData.length} usable note${alignedData.length === 1 ? '' : 's'}; at least ${MIN_NOTES_TO_SPLIT} are needed to hold out dev and test notes (80/10/10). Label more notes, or give dev and test sets.`);
  }

  const idx = splitNotes(alignedData.length, params.seed, devGiven, testGiven);
  const train = idx.train.map((i) => alignedData[i]!);
  const dev = alignedDev ?? idx.dev.map((i) => alignedData[i]!);
  const test = alignedTest ?? idx.test.map((i) => alignedData[i]!);
  if (train.length === 0) bad('No notes are left for training after holding out dev and test notes.');
  if (test.length < 10) ctx.warn(`The test split has only ${test.length} note${test.length === 1 ? '' : 's'}: its figures are rough estimates.`);

  let labels: string[];
  if (task === 'token') {
    const types = new Set<string>();
    for (const d of [...train, ...dev, ...test]) for (const t of d.wordTags!) if (t !== 'O') types.add(t.slice(2));
    if (types.size === 0) bad(`The notes have no usable entity spans: there is nothing to learn. Label some entities first${firstProblem(problems)}.`);
    const trainTypes = new Set(train.flatMap((d) => d.wordTags!.filter((t) => t !== 'O').map((t) => t.slice(2))));
    const entityLabels = [...types].sort();
    for (const l of entityLabels) if (!trainTypes.has(l)) ctx.warn(`The label "${l}" has no example in the training split; the head cannot learn it.`);
    labels = iob2Tags(entityLabels);
  } else {
    labels = [...new Set([...train, ...dev, ...test].map((d) => d.label!))].sort();
    if (labels.length < 2) bad(`Every note has the label "${labels[0]}": classification needs at least two labels.`);
    const trainLabels = new Set(train.map((d) => d.label!));
    for (const l of labels) if (!trainLabels.has(l)) ctx.warn(`The label "${l}" has no example in the training split; the head cannot learn it.`);
  }
  const source = new Map<string, LabelledDocument>();
  for (const d of [...data.documents, ...(devSrc?.documents ?? []), ...(testSrc?.documents ?? [])]) source.set(d.id, d);
  return { task, labels, train, dev, test, devGiven, testGiven, problems, source, fingerprint: datasetFingerprint({ train, dev, test }, source) };
}
