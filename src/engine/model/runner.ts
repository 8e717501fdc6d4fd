/**
 * Runs windows through a session in length-bucketed batches and hands back each
 * window's outputs with the padding cut off.
 */
import type * as ort from 'onnxruntime-node';
import { EngineError } from '../errors';
import type { TensorOut } from '../host';
import { bucketByLength, padBatch } from './batching';
import { feedsFor, validateBatch, type InputLimits } from './session';

export interface RunOptions {
  /** windows per batch, at most */
  batchSize: number;
  /** padded tokens per batch (windows x longest window), at most; a longer window runs alone */
  batchTokens?: number;
  padId: number;
  limits: InputLimits;
  /** false: batches in input order (for benchmarks) */
  bucketed?: boolean;
  signal?: AbortSignal;
  /** a head folder's session: fed each batch's last_hidden_state and attention mask, its logits become the "logits" output */
  head?: HeadSession;
}

export interface HeadSession {
  name: string;
  session: ort.InferenceSession;
  /** the hidden size the head reads */
  hidden: number;
  /** the encoder outputs it reads (last_hidden_state, and hidden_states.<i> for a head on the last k layers) */
  inputs: readonly string[];
}

/** Lets queued messages (a cancel) in between batches: session.run holds the thread while it computes. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'Cancelled.');
}

/** Window b's slice of a batched output: [batch, seq, x] -> [len, x]; [batch, x] -> [x]. */
export function sliceOutput(t: { data: Float32Array; dims: readonly number[] }, b: number, len: number): TensorOut {
  if (t.dims.length === 3) {
    const [, seq, width] = t.dims;
    const start = b * seq * width;
    return { data: t.data.slice(start, start + len * width), dims: [len, width] };
  }
  if (t.dims.length === 2) {
    const width = t.dims[1];
    return { data: t.data.slice(b * width, (b + 1) * width), dims: [width] };
  }
  throw new EngineError('internal', `Unexpected output rank ${t.dims.length}.`);
}

export async function runWindows(
  session: ort.InferenceSession,
  windows: readonly (readonly number[])[],
  outputs: readonly string[],
  opts: RunOptions,
): Promise<Array<Record<string, TensorOut>>> {
  const head = opts.head;
  // with a head, logits come from it and the encoder gives the hidden states it reads
  const encoderOutputs = head ? [...new Set([...outputs.filter((n) => n !== 'logits'), ...head.inputs])] : outputs;
  for (const name of encoderOutputs) {
    if (!session.outputNames.includes(name)) {
      if (head?.inputs.includes(name) && name !== 'last_hidden_state') {
        throw new EngineError('unsupported-model', `Task head "${head.name}" reads the encoder's last ${head.inputs.length} layers, but this model's ONNX file has no "${name}" output: convert the model again (Clinical: Convert Model to ONNX, or cmb convert --force), or use a head trained on the last layer only.`);
      }
      throw new EngineError('unsupported-model', `The model has no "${name}" output (it has ${session.outputNames.filter((n) => !n.startsWith('hidden_states.')).join(', ')}).`);
    }
  }
  const results: Array<Record<string, TensorOut>> = new Array(windows.length);
  const batches = bucketByLength(
    windows.map((w) => w.length),
    opts.batchSize,
    opts.bucketed ?? true,
    opts.batchTokens && opts.batchTokens > 0 ? opts.batchTokens : Infinity,
  );
  for (const indices of batches) {
    checkCancelled(opts.signal);
    const batch = padBatch(
      indices.map((i) => windows[i]),
      opts.padId,
    );
    validateBatch(batch, opts.limits);
    const feeds = feedsFor(batch, session.inputNames);
    const out: Record<string, ort.Tensor> = { ...(await session.run(feeds, encoderOutputs as string[])) };
    if (head && outputs.includes('logits')) {
      const headFeeds: Record<string, ort.Tensor> = { attention_mask: feeds['attention_mask']! };
      for (const name of head.inputs) {
        const hidden = out[name]!;
        if (hidden.dims[2] !== head.hidden) {
          throw new EngineError('unsupported-model', `Task head "${head.name}" reads hidden states of size ${head.hidden}, but the encoder produces ${hidden.dims[2]}.`);
        }
        headFeeds[name] = hidden;
      }
      const headOut = await head.session.run(headFeeds, ['logits']);
      out['logits'] = headOut['logits']!;
    }
    indices.forEach((windowIndex, b) => {
      const rec: Record<string, TensorOut> = {};
      for (const name of outputs) {
        const t = out[name];
        if (t.type !== 'float32') throw new EngineError('unsupported-model', `Output "${name}" is ${t.type}; float32 expected.`);
        rec[name] = sliceOutput({ data: t.data as Float32Array, dims: t.dims }, b, windows[windowIndex].length);
      }
      results[windowIndex] = rec;
    });
    for (const name of new Set([...encoderOutputs, ...outputs])) out[name]?.dispose?.();
    await yieldToEventLoop();
  }
  checkCancelled(opts.signal);
  return results;
}
