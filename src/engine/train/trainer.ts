/**
 * Fits a task head on frozen encoder features, in the engine (TypeScript, no
 * Python), and writes it as a head folder beside the encoder.
 *
 * 1. Read the datasets, align every note to the model's tokens and windows
 *    (data/align.ts); problems are reported, never dropped silently.
 * 2. Split by note: seeded 80/10/10 unless dev and test sets are given
 *    (steps 1-2 are prepare.ts, shared with the full fine-tune).
 * 3. Features: hidden states of the last k layers per window, from the disk
 *    cache or the encoder (featureCache.ts).
 * 4. Train (headModel.ts): cross-entropy (optional balanced class weights),
 *    AdamW, seeded shuffles; after each epoch the dev split is decoded as
 *    inference decodes it, and the best dev score's weights are kept; training
 *    stops after `patience` epochs without a better one.
 * 5. Test figures (scoring.ts), then heads/NAME/ written into a temporary
 *    folder renamed into place: a cancelled or failed run leaves nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EngineError } from '../errors';
import type { LoadedModel, TensorOut } from '../host';
import type { Progress } from '../progress';
import { windowTargets, IGNORE, type AlignedDocument } from '../data/align';
import { checkHeadName, encoderFingerprint, HEADS_DIR, writeHeadFolder } from '../model/headFolder';
import { inspectModelFolder } from '../model/folder';
import { converterVersion } from '../model/convert/convert';
import { lastLayerOutputs } from '../model/hiddenStates';
import { windowWeights } from '../tasks/classify';
import { FeatureCache, windowFeatures, type Features } from './featureCache';
import { SeededRandom } from '../seededRandom';
import { AdamW, crossEntropy, HeadModel, type HeadShape } from './headModel';
import { datasetFingerprint, prepareSplits, PROBLEMS_KEPT, splitNotes } from './prepare';
import { classifyFigures, nerFigures, notePrediction, predictedWordTags } from './scoring';
import type { EpochRecord, Figures, TrainingMetrics, TrainingProgress, TrainParams, TrainResult } from './protocol';

export const CREATED_BY = 'cmb train (frozen-encoder head)';
export const METRICS_FILE = 'metrics.json';
/** optimizer steps a default run takes at least (see where the epochs are settled) */
const MIN_DEFAULT_STEPS = 400;

export interface TrainContext {
  model: LoadedModel;
  /** the engine's storage folder: the feature cache lives in <storage>/features */
  storageDir: string;
  signal: AbortSignal;
  progress(p: Progress): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

interface Settings {
  epochs: number;
  seed: number;
  layers: number;
  architecture: 'linear' | 'mlp';
  pooling: 'cls' | 'mean';
  learningRate: number;
  weightDecay: number;
  mlpHidden: number;
  dropout: number;
  batchSize: number;
  classWeights: 'none' | 'balanced';
  patience: number;
  featureCacheBytes: number;
}

function bad(message: string): never {
  throw new EngineError('bad-input', message);
}

function cancelled(): EngineError {
  return new EngineError('cancelled', 'Training was cancelled; nothing was written.');
}

function whole(v: unknown, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`${name} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}; got ${JSON.stringify(v)}.`);
  return v;
}

function real(v: unknown, name: string, fallback: number, min: number, max: number, maxIncluded = true): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (!maxIncluded && v === max)) bad(`${name} must be a number from ${min} to ${max}${maxIncluded ? '' : ' (exclusive)'}; got ${JSON.stringify(v)}.`);
  return v;
}

export function resolveSettings(p: TrainParams, numLayers: number): Settings {
  if (p.task !== 'ner' && p.task !== 'classify') bad(`The task must be "ner" or "classify"; got ${JSON.stringify(p.task)}.`);
  if (p.head !== undefined && p.head !== 'linear' && p.head !== 'mlp') bad(`The head must be "linear" or "mlp"; got ${JSON.stringify(p.head)}.`);
  if (p.pooling !== undefined && p.pooling !== 'cls' && p.pooling !== 'mean') bad(`Pooling must be "cls" or "mean"; got ${JSON.stringify(p.pooling)}.`);
  if (p.classWeights !== undefined && p.classWeights !== 'none' && p.classWeights !== 'balanced') bad(`Class weights must be "none" or "balanced"; got ${JSON.stringify(p.classWeights)}.`);
  return {
    epochs: whole(p.epochs, 'Epochs', 20, 1, 10_000),
    seed: whole(p.seed, 'The seed', 13, 0, 2 ** 32 - 1),
    layers: whole(p.layers, `Layers (the encoder has ${numLayers})`, 1, 1, numLayers),
    architecture: p.head ?? 'linear',
    pooling: p.pooling ?? 'mean',
    learningRate: real(p.learningRate, 'The learning rate', 1e-3, 1e-7, 1),
    weightDecay: real(p.weightDecay, 'Weight decay', 0.01, 0, 1),
    mlpHidden: whole(p.mlpHidden, 'The MLP width', 256, 1, 65_536),
    dropout: real(p.dropout, 'Dropout', 0.1, 0, 1, false),
    batchSize: whole(p.batchSize, 'The batch size', p.task === 'ner' ? 64 : 16, 1, 1_000_000),
    classWeights: p.classWeights ?? 'none',
    patience: whole(p.patience, 'Patience', 4, 1, 10_000),
    featureCacheBytes: whole(p.featureCacheBytes, 'The feature cache size', 4 * 2 ** 30, 0),
  };
}

export { splitNotes, datasetFingerprint };

/** Yields to the event loop now and then, so a cancel message reaches the worker during long loops. */
class Breather {
  private last = performance.now();
  constructor(private readonly signal: AbortSignal) {}
  async maybe(): Promise<void> {
    if (performance.now() - this.last < 25) return;
    await new Promise<void>((r) => setImmediate(r));
    this.last = performance.now();
    if (this.signal.aborted) throw cancelled();
  }
}

/** The task-specific half of training: examples, evaluation on a split. */
interface TaskData {
  shape: HeadShape;
  labels: string[];
  /** training examples: features [n, D], targets, optional example weights */
  x: Float32Array;
  y: Int32Array;
  weights?: Float64Array;
  n: number;
  /** dev loss and figures of a head on a split */
  evaluate(head: HeadModel, split: 'dev' | 'test'): { loss: number; figures: Figures };
}

function mean(rows: Float32Array, len: number, width: number): Float32Array {
  const out = new Float32Array(width);
  const acc = new Float64Array(width);
  for (let r = 0; r < len; r++) for (let j = 0; j < width; j++) acc[j]! += rows[r * width + j]!;
  for (let j = 0; j < width; j++) out[j] = acc[j]! / len;
  return out;
}

function asTensor(logits: Float64Array, dims: number[]): TensorOut {
  return { data: Float32Array.from(logits), dims };
}

function classWeightsFor(y: Int32Array, n: number, classes: number, mode: 'none' | 'balanced'): Float64Array | undefined {
  if (mode === 'none') return undefined;
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) counts[y[i]!]!++;
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? n / (present * c) : 0));
}

interface SplitFeatures {
  docs: AlignedDocument[];
  /** per document, per window */
  rows: Float32Array[][];
}

export async function trainHead(params: TrainParams, ctx: TrainContext): Promise<TrainResult> {
  const t0 = performance.now();
  const model = ctx.model;
  const numLayers = model.config.numHiddenLayers;
  const s = resolveSettings(params, numLayers);
  if (typeof params.name !== 'string') bad('The head needs a name (--out NAME).');
  checkHeadName(params.name);
  const folder = inspectModelFolder(model.info.path, { acceptVocabTxt: true });
  const headsDir = path.join(folder.dir, HEADS_DIR);
  const finalDir = path.resolve(headsDir, params.name);
  if (fs.existsSync(finalDir) && !params.replace) bad(`The model folder already has a head named "${params.name}" (${finalDir}); choose another name or replace it.`);
  const outputs = lastLayerOutputs(numLayers, s.layers);
  for (const o of outputs) {
    if (!model.info.outputs.includes(o)) {
      throw new EngineError('unsupported-model', `Reading the last ${s.layers} layers needs the encoder output "${o}", which this model's ONNX file lacks: convert the model again (cmb convert --force), or train on the last layer only.`);
    }
  }
  const task = params.task === 'ner' ? 'token' : 'sequence';
  const report = (message: string, training: TrainingProgress, fraction?: number) => ctx.progress({ message, fraction, training });
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.log('warn', m);
  };

  // 1-2. read, align, split by note; labels
  report('Reading the labelled notes', { phase: 'reading' });
  const prepared = await prepareSplits({ ...params, seed: s.seed }, model, { signal: ctx.signal, warn, cancelled });
  const { labels, problems, train: trainDocs, dev: devDocs, test: testDocs, devGiven, testGiven } = prepared;
  if (problems.length > 0) {
    warn(`The data has ${problems.length} problem${problems.length === 1 ? '' : 's'} (spans or notes left out, duplicates; listed in metrics.json).`);
    for (const p of problems.slice(0, PROBLEMS_KEPT)) ctx.log('warn', `${p.doc}${p.line !== undefined ? `:${p.line}` : ''}${p.start !== undefined ? ` [${p.start}, ${p.end})` : ''}: ${p.message}`);
  }
  if (model.info.demo) warn('The encoder has random weights (a demo model): the figures measure the plumbing, not quality.');

  // 3. features
  const fingerprint = encoderFingerprint(folder);
  const cache = s.featureCacheBytes > 0 ? new FeatureCache({ dir: path.join(ctx.storageDir, 'features'), maxBytes: s.featureCacheBytes }) : undefined;
  const hidden = model.config.hiddenSize;
  const width = hidden * s.layers;
  const totalWindows = [trainDocs, devDocs, testDocs].reduce((a, ds) => a + ds.reduce((b, d) => b + d.windows.length, 0), 0);
  const tf = performance.now();
  let windowsDone = 0;
  let windowsCached = 0;
  let tokensEncoded = 0;
  const featuresOf = async (docs: AlignedDocument[]): Promise<SplitFeatures> => {
    const windows = docs.flatMap((d) => d.windows);
    const base = windowsDone;
    const f: Features = await windowFeatures(model, windows, {
      outputs, hidden, encoderKey: `${fingerprint}\u0000${converterVersion}\u0000${model.info.precision ?? 'fp32'}`, cache, signal: ctx.signal,
      onProgress: (done, total) => {
        const all = base + done;
        const elapsed = (performance.now() - tf) / 1000;
        report(`Encoder features: ${all} of ${totalWindows} windows`, { phase: 'features', windowsDone: all, windowsTotal: totalWindows, etaSeconds: all > 0 ? (elapsed / all) * (totalWindows - all) : undefined }, (0.4 * all) / totalWindows);
        if (done === total) windowsDone = base + total;
      },
    });
    windowsCached += f.cached;
    tokensEncoded += f.tokensComputed;
    let k = 0;
    return { docs, rows: docs.map((d) => d.windows.map(() => f.rows[k++]!)) };
  };
  let trainFeatures: SplitFeatures | undefined = await featuresOf(trainDocs);
  const devFeatures = await featuresOf(devDocs);
  const testFeatures = await featuresOf(testDocs);
  if (cache) cache.trim();
  const featuresSeconds = (performance.now() - tf) / 1000;

  const breather = new Breather(ctx.signal);
  const taskData = task === 'token'
    ? tokenTaskData(trainFeatures, devFeatures, testFeatures, labels, width, s)
    : sequenceTaskData(trainFeatures, devFeatures, testFeatures, labels, width, s);
  trainFeatures = undefined; // the training rows live on in the packed examples only
  if (taskData.n === 0) bad('The training split has no labelled tokens to learn from.');

  // 4. train
  const initRng = new SeededRandom((s.seed ^ 0x9e3779b9) >>> 0);
  const head = HeadModel.init(taskData.shape, initRng);
  const optimizer = new AdamW(head.params, { learningRate: s.learningRate, weightDecay: s.weightDecay });
  const classWeights = classWeightsFor(taskData.y, taskData.n, labels.length, s.classWeights);
  const D = width;
  const batchX = new Float32Array(s.batchSize * D);
  const batchY = new Int32Array(s.batchSize);
  const batchW = new Float64Array(s.batchSize);
  const order = Array.from({ length: taskData.n }, (_, i) => i);
  const history: EpochRecord[] = [];
  let best: { head: HeadModel; epoch: number; score: number; loss: number; figures: Figures } | undefined;
  let sinceBest = 0;
  const tt = performance.now();
  const steps = Math.ceil(taskData.n / s.batchSize);
  // A small labelled set gives a few optimizer steps per epoch: 20 epochs of 2 steps leave a head at its random
  // start. Unless the user chose, train for about MIN_DEFAULT_STEPS steps (20 to 500 epochs), with patience to match.
  if (params.epochs === undefined) s.epochs = Math.min(500, Math.max(s.epochs, Math.ceil(MIN_DEFAULT_STEPS / steps)));
  if (params.patience === undefined) s.patience = Math.max(s.patience, Math.ceil(s.epochs / 10));
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    const te = performance.now();
    initRng.shuffle(order);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const from = step * s.batchSize;
      const n = Math.min(s.batchSize, taskData.n - from);
      for (let b = 0; b < n; b++) {
        const i = order[from + b]!;
        batchX.set(taskData.x.subarray(i * D, (i + 1) * D), b * D);
        batchY[b] = taskData.y[i]!;
        if (taskData.weights) batchW[b] = taskData.weights[i]!;
      }
      const fwd = head.forward(batchX.subarray(0, n * D), n, s.architecture === 'mlp' ? { p: s.dropout, rng: initRng } : undefined);
      const { loss, dLogits } = crossEntropy(fwd.logits, batchY, n, labels.length, classWeights, taskData.weights ? batchW : undefined);
      optimizer.step(head.backward(fwd.cache, dLogits));
      lossSum += loss * n;
      if (step % 16 === 0) {
        const done = (epoch - 1 + step / steps) / s.epochs;
        report(`Epoch ${epoch} of ${s.epochs}`, { phase: 'training', epoch: epoch - 1, epochs: s.epochs }, 0.4 + 0.55 * done);
      }
      await breather.maybe();
    }
    const dev = taskData.evaluate(head, 'dev');
    const score = dev.figures.task === 'ner' ? dev.figures.f1 : dev.figures.macro_f1;
    const seconds = (performance.now() - te) / 1000;
    const record: EpochRecord = { epoch, loss: lossSum / taskData.n, dev_loss: dev.loss, dev_score: score, seconds };
    history.push(record);
    if (!best || score > best.score || (score === best.score && dev.loss < best.loss)) {
      best = { head: head.clone(), epoch, score, loss: dev.loss, figures: dev.figures };
      sinceBest = 0;
    } else sinceBest++;
    const meanEpoch = (performance.now() - tt) / 1000 / epoch;
    report(
      `Epoch ${epoch} of ${s.epochs}: loss ${record.loss.toFixed(4)}, dev ${task === 'token' ? 'entity F1' : 'macro-F1'} ${score.toFixed(3)}`,
      { phase: 'training', epoch, epochs: s.epochs, loss: record.loss, devScore: score, etaSeconds: meanEpoch * (s.epochs - epoch) },
      0.4 + (0.55 * epoch) / s.epochs,
    );
    if (sinceBest >= s.patience) break;
    if (ctx.signal.aborted) throw cancelled();
  }
  const trainingSeconds = (performance.now() - tt) / 1000;

  // 5. test and write
  report('Scoring the test notes', { phase: 'testing' }, 0.96);
  const test = taskData.evaluate(best!.head, 'test');
  if (ctx.signal.aborted) throw cancelled();
  const metrics: TrainingMetrics = {
    format: 'cmb-training-metrics',
    version: 1,
    head: params.name,
    task: params.task,
    created: new Date().toISOString(),
    created_by: CREATED_BY,
    demo: model.info.demo,
    encoder: { name: model.info.name, model_type: model.config.modelType, fingerprint, layers: numLayers, hidden_size: hidden },
    dataset: {
      fingerprint: prepared.fingerprint,
      sources: { data: params.data ?? [], dev: params.dev ?? [], test: params.test ?? [], documents_given: params.documents?.length ?? 0 },
      problems: problems.length,
      problem_list: problems.slice(0, PROBLEMS_KEPT),
    },
    split: { seed: s.seed, train: trainDocs.length, dev: devDocs.length, test: testDocs.length, dev_given: devGiven, test_given: testGiven },
    labels,
    settings: {
      architecture: s.architecture,
      layers: s.layers,
      ...(task === 'sequence' ? { pooling: s.pooling } : {}),
      epochs: s.epochs,
      batch_size: s.batchSize,
      learning_rate: s.learningRate,
      weight_decay: s.weightDecay,
      ...(s.architecture === 'mlp' ? { mlp_hidden: s.mlpHidden, dropout: s.dropout } : {}),
      class_weights: s.classWeights,
      patience: s.patience,
      window_tokens: model.info.windowTokens,
      seed: s.seed,
    },
    history,
    best_epoch: best!.epoch,
    dev: best!.figures,
    test: test.figures,
    timings: {
      features_seconds: round3(featuresSeconds),
      windows: totalWindows,
      windows_cached: windowsCached,
      tokens_encoded: tokensEncoded,
      training_seconds: round3(trainingSeconds),
      seconds_per_epoch: round3(trainingSeconds / history.length),
      total_seconds: 0,
    },
  };
  report(`Writing heads/${params.name}`, { phase: 'writing' }, 0.98);
  metrics.timings.total_seconds = round3((performance.now() - t0) / 1000);
  const dir = writeAtomically(folder, finalDir, params, s, labels, best!.head, metrics, ctx.signal);
  report(`Trained heads/${params.name}`, { phase: 'writing' }, 1);
  return { head: params.name, dir, metrics, warnings };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function summary(f: Figures): Record<string, unknown> {
  return f.task === 'ner'
    ? { f1: f.f1, precision: f.precision, recall: f.recall, eval_notes: f.documents }
    : { accuracy: f.accuracy, macro_f1: f.macro_f1, eval_notes: f.documents };
}

/** heads/.NAME.partial-* written in full, then renamed to heads/NAME (the old one moved aside first when replacing). */
function writeAtomically(
  folder: ReturnType<typeof inspectModelFolder>,
  finalDir: string,
  params: TrainParams,
  s: Settings,
  labels: string[],
  head: HeadModel,
  metrics: TrainingMetrics,
  signal: AbortSignal,
): string {
  const parent = path.dirname(finalDir);
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = path.join(parent, `.${params.name}.partial-${stamp}`);
  const old = path.join(parent, `.${params.name}.replaced-${stamp}`);
  try {
    writeHeadFolder({
      encoder: folder,
      name: params.name,
      dir: tmp,
      task: params.task === 'ner' ? 'token' : 'sequence',
      architecture: s.architecture,
      labels,
      ...(params.task === 'classify' ? { pooling: s.pooling } : {}),
      layers: s.layers,
      ...(s.architecture === 'mlp' ? { mlpHiddenSize: s.mlpHidden } : {}),
      tensors: head.tensors(),
      createdBy: CREATED_BY,
      metrics: summary(metrics.test),
    });
    fs.writeFileSync(path.join(tmp, METRICS_FILE), JSON.stringify(metrics, null, 2) + '\n', { mode: 0o600 });
    if (signal.aborted) throw cancelled();
    if (fs.existsSync(finalDir)) {
      if (!params.replace) bad(`The model folder already has a head named "${params.name}"; choose another name or replace it.`);
      fs.renameSync(finalDir, old);
    }
    fs.renameSync(tmp, finalDir);
    fs.rmSync(old, { recursive: true, force: true });
    return finalDir;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (fs.existsSync(old) && !fs.existsSync(finalDir)) fs.renameSync(old, finalDir);
    throw e;
  }
}

function tokenTaskData(train: SplitFeatures, dev: SplitFeatures, test: SplitFeatures, labels: string[], width: number, s: Settings): TaskData {
  const tagIndex = new Map(labels.map((l, i) => [l, i]));
  const targetsOf = (f: SplitFeatures) => f.docs.map((d) => windowTargets(d, tagIndex));
  const trainTargets = targetsOf(train);
  let n = 0;
  for (const doc of trainTargets) for (const w of doc) for (const t of w) if (t !== IGNORE) n++;
  const x = new Float32Array(n * width);
  const y = new Int32Array(n);
  let k = 0;
  trainTargets.forEach((doc, d) =>
    doc.forEach((targets, wi) => {
      const rows = train.rows[d]![wi]!;
      for (let p = 0; p < targets.length; p++) {
        if (targets[p] === IGNORE) continue;
        x.set(rows.subarray(p * width, (p + 1) * width), k * width);
        y[k++] = targets[p]!;
      }
    }),
  );
  const splits = { dev: { f: dev, targets: targetsOf(dev) }, test: { f: test, targets: targetsOf(test) } };
  const L = labels.length;
  return {
    shape: { architecture: s.architecture, inputWidth: width, labels: L, ...(s.architecture === 'mlp' ? { mlpHidden: s.mlpHidden } : {}) },
    labels, x, y, n,
    evaluate(head, split) {
      const { f, targets } = splits[split];
      const gold: string[][] = [];
      const predicted: string[][] = [];
      let lossSum = 0;
      let lossN = 0;
      f.docs.forEach((doc, d) => {
        const logits = doc.windows.map((w, wi) => {
          const out = head.forward(f.rows[d]![wi]!, w.ids.length).logits;
          const t = targets[d]![wi]!;
          const keep: number[] = [];
          for (let p = 0; p < t.length; p++) if (t[p] !== IGNORE) keep.push(p);
          if (keep.length) {
            const sub = new Float64Array(keep.length * L);
            keep.forEach((p, j) => sub.set(out.subarray(p * L, (p + 1) * L), j * L));
            lossSum += crossEntropy(sub, keep.map((p) => t[p]!), keep.length, L).loss * keep.length;
            lossN += keep.length;
          }
          return asTensor(out, [w.ids.length, L]);
        });
        gold.push(doc.wordTags!);
        predicted.push(predictedWordTags(doc, logits, labels));
      });
      return { loss: lossN ? lossSum / lossN : 0, figures: nerFigures(gold, predicted) };
    },
  };
}

function sequenceTaskData(train: SplitFeatures, dev: SplitFeatures, test: SplitFeatures, labels: string[], width: number, s: Settings): TaskData {
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const pooled = (f: SplitFeatures) => f.docs.map((doc, d) => doc.windows.map((w, wi) => (s.pooling === 'cls' ? f.rows[d]![wi]!.slice(0, width) : mean(f.rows[d]![wi]!, w.ids.length, width))));
  const trainPooled = pooled(train);
  const n = trainPooled.reduce((a, ws) => a + ws.length, 0);
  const x = new Float32Array(n * width);
  const y = new Int32Array(n);
  const weights = new Float64Array(n);
  let k = 0;
  train.docs.forEach((doc, d) => {
    // each note weighs one in the loss, split over its windows as inference weighs them (classify.ts)
    let ww = windowWeights(doc.windows);
    if (ww.every((v) => v === 0)) ww = ww.map(() => 1);
    const total = ww.reduce((a, b) => a + b, 0);
    trainPooled[d]!.forEach((v, wi) => {
      x.set(v, k * width);
      y[k] = labelIndex.get(doc.label!)!;
      weights[k++] = ww[wi]! / total;
    });
  });
  const splits = { dev: { f: dev, pooled: pooled(dev) }, test: { f: test, pooled: pooled(test) } };
  const L = labels.length;
  return {
    shape: { architecture: s.architecture, inputWidth: width, labels: L, ...(s.architecture === 'mlp' ? { mlpHidden: s.mlpHidden } : {}) },
    labels, x, y, weights, n,
    evaluate(head, split) {
      const { f, pooled: vectors } = splits[split];
      const predictions = f.docs.map((doc, d) => {
        const logits = vectors[d]!.map((v) => asTensor(head.forward(v, 1).logits, [L]));
        return notePrediction(doc, logits, labels);
      });
      const gold = f.docs.map((d) => d.label!);
      let loss = 0;
      predictions.forEach((p, i) => (loss -= Math.log(Math.max(p.probabilities[labelIndex.get(gold[i]!)!]!, 1e-12))));
      return { loss: loss / Math.max(1, predictions.length), figures: classifyFigures(labels, gold, predictions) };
    },
  };
}
