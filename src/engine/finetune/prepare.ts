/**
 * The engine's first half of a full fine-tune: labelled notes -> the
 * companion's input file, through the same reading, alignment and seeded
 * split by note as `cmb train` (train/prepare.ts), with the model's own
 * tokenizer and windows (no ONNX session is needed for that).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../errors';
import type { WindowSource } from '../data/align';
import { inspectModelFolder } from '../model/folder';
import { encoderFingerprint } from '../model/headFolder';
import { loadTokenizerFromFolder } from '../text/loadTokenizer';
import { effectiveWindowTokens, makeWindows, DEFAULT_STRIDE, DEFAULT_WINDOW_TOKENS } from '../text/windows';
import { processAlive } from '../partialFiles';
import { prepareSplits, PROBLEMS_KEPT, type PreparedSplits } from '../train/prepare';
import { writeDataFile } from './dataFile';
import type { FinetuneDataParams, FinetunePrepareParams, FinetunePrepareResult } from './protocol';

const WORK_PREFIX = 'cmb-finetune-';

/** The model folder's windows at the fine-tune's window size, as loadModel builds them. */
export function folderWindows(dir: string, maxTokens = DEFAULT_WINDOW_TOKENS, stride = DEFAULT_STRIDE): { source: WindowSource; windowTokens: number; stride: number; padId: number } {
  const folder = inspectModelFolder(dir, { acceptVocabTxt: true });
  const tokenizer = loadTokenizerFromFolder(dir);
  const opts = effectiveWindowTokens({ windowTokens: maxTokens, stride }, folder.config.maxPositionEmbeddings);
  return {
    source: { windows: (text) => makeWindows(tokenizer.encode(text, { addSpecialTokens: false }), opts, tokenizer) },
    windowTokens: opts.windowTokens,
    stride: opts.stride,
    padId: tokenizer.padId,
  };
}

function cancelled(): EngineError {
  return new EngineError('cancelled', 'Fine-tuning was cancelled before training started; nothing was written.');
}

/** Reads and splits the notes for a fine-tune (prepare and verify split alike). */
export function finetuneSplits(params: FinetuneDataParams, source: WindowSource, signal: AbortSignal, warn: (m: string) => void): Promise<PreparedSplits> {
  return prepareSplits(params, source, { signal, warn, cancelled });
}

/**
 * Private folders of runs whose process is gone (a kill -9): they hold token
 * ids of notes, so the next run removes them.
 */
export function removeAbandonedWorkDirs(dir = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${WORK_PREFIX}(\\d+)-`).exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // another user's folder, or already gone
    }
  }
}

export async function prepareFinetuneData(params: FinetunePrepareParams, ctx: { signal: AbortSignal; log(level: 'info' | 'warn' | 'error', message: string): void }): Promise<FinetunePrepareResult> {
  const folder = inspectModelFolder(params.model, { acceptVocabTxt: true });
  if (!folder.safetensorsPath) {
    throw new EngineError('missing-file', `The model folder ${folder.dir} has no model.safetensors: the companion fine-tunes a safetensors checkpoint (an ONNX-only folder cannot be trained).`);
  }
  const windows = folderWindows(params.model, params.maxTokens, params.stride);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    ctx.log('warn', m);
  };
  const prepared = await finetuneSplits(params, windows.source, ctx.signal, warn);
  if (prepared.problems.length > 0) {
    warn(`The data has ${prepared.problems.length} problem${prepared.problems.length === 1 ? '' : 's'} (spans or notes left out, duplicates).`);
  }
  if (folder.demo) warn('The model has random weights (a demo model): the figures measure the plumbing, not quality.');
  if (ctx.signal.aborted) throw cancelled();
  removeAbandonedWorkDirs();
  // mkdtemp makes the folder 0700: only this user can list or read the data file
  const workDir = mkdtempSync(join(tmpdir(), `${WORK_PREFIX}${process.pid}-`));
  const dataFile = join(workDir, 'notes.cmbdata');
  const modelFingerprint = encoderFingerprint(folder);
  try {
    const sizes = writeDataFile(
      dataFile,
      {
        task: params.task,
        id2label: prepared.labels,
        padTokenId: windows.padId,
        maxTokens: windows.windowTokens,
        modelFingerprint,
        datasetFingerprint: prepared.fingerprint,
      },
      { train: prepared.train, dev: prepared.dev, test: prepared.test },
    );
    const splits: FinetunePrepareResult['splits'] = {};
    for (const [name, s] of Object.entries(sizes)) splits[name] = { documents: s.documents, windows: s.windows, tokens: s.tokens };
    return {
      dataFile,
      workDir,
      labels: prepared.labels,
      splits,
      windowTokens: windows.windowTokens,
      stride: windows.stride,
      datasetFingerprint: prepared.fingerprint,
      modelFingerprint,
      problemCount: prepared.problems.length,
      problems: prepared.problems.slice(0, PROBLEMS_KEPT),
      warnings,
    };
  } catch (e) {
    rmSync(workDir, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS') throw new EngineError('write-failed', `The fine-tuning data could not be written to ${tmpdir()} (${code}); free some space or set TMPDIR to another folder.`);
    throw e;
  }
}
