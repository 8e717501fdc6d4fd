/**
 * A LoadedModel for task tests, with no network and no ONNX: a tokenizer that
 * splits words longer than five characters into four-character pieces (so
 * sub-word merging is exercised), windows of a chosen size and overlap, and
 * logits written by the test from each piece's text and place.
 */
import type { EngineHost, LoadedModel, TensorOut } from '../../../src/engine/host';
import type { ModelInfo } from '../../../src/engine/coreProtocol';
import type { Encoding, TokenWindow } from '../../../src/engine/text/types';
import { EngineError } from '../../../src/engine/errors';

export const TOKEN_LABELS = ['O', 'B-PROBLEM', 'I-PROBLEM', 'B-TEST', 'I-TEST', 'B-TREATMENT', 'I-TREATMENT'];
export const SEQUENCE_LABELS = ['discharge_summary', 'radiology', 'progress_note'];

export interface PieceContext {
  /** the piece's text */
  piece: string;
  /** the whole word the piece belongs to */
  word: string;
  /** character offset of the word's start in the text given to windows() */
  wordStart: number;
  /** true when the piece is the first of its word */
  first: boolean;
  /** window index and the piece's position among the window's content tokens */
  window: number;
  position: number;
  /** content tokens in the window */
  windowLength: number;
}

export interface FakeOptions {
  labels?: string[];
  head?: 'token' | 'sequence' | 'none';
  windowTokens?: number;
  stride?: number;
  demo?: boolean;
  /** token head: the label (name) of a piece; default 'O' */
  tag?: (p: PieceContext) => string;
  /** sequence head: logits of one window from its pieces */
  classify?: (pieces: string[], window: number) => number[];
}

interface Piece {
  text: string;
  start: number;
  end: number;
  first: boolean;
  word: string;
  wordStart: number;
}

export function fakePieces(text: string): Piece[] {
  const out: Piece[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
    const w = m[0];
    if (w.length <= 5) {
      out.push({ text: w, start: m.index, end: m.index + w.length, first: true, word: w, wordStart: m.index });
      continue;
    }
    for (let i = 0; i < w.length; i += 4) {
      out.push({ text: w.slice(i, i + 4), start: m.index + i, end: m.index + Math.min(i + 4, w.length), first: i === 0, word: w, wordStart: m.index });
    }
  }
  return out;
}

export class FakeModel implements LoadedModel {
  readonly info: ModelInfo;
  readonly config: LoadedModel['config'];
  readonly tokenizer: LoadedModel['tokenizer'];
  /** windows run so far */
  windowsRun = 0;
  private nextId = 10;
  private readonly pieceById = new Map<number, { piece: Piece; window: number; position: number; windowLength: number }>();

  constructor(private readonly opts: FakeOptions = {}) {
    const head = opts.head ?? 'token';
    const labels = opts.labels ?? (head === 'token' ? TOKEN_LABELS : head === 'sequence' ? SEQUENCE_LABELS : []);
    const arch = head === 'token' ? 'BertForTokenClassification' : head === 'sequence' ? 'BertForSequenceClassification' : 'BertModel';
    this.info = {
      path: '/fake/model', name: 'fake', architecture: 'bert', architectures: [arch], layers: 1, hidden: 8, heads: 1,
      intermediate: 16, maxPositions: 512, vocabSize: 100, provider: 'cpu', providerFailures: [],
      outputs: head === 'none' ? ['last_hidden_state'] : ['logits'], labels, windowTokens: opts.windowTokens ?? 512,
      demo: opts.demo ?? false, onnxPath: '/fake/model/onnx/model.onnx',
    };
    this.config = {
      modelType: 'bert', architectures: [arch], vocabSize: 100, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 1,
      intermediateSize: 16, maxPositionEmbeddings: 512, layerNormEps: 1e-12, padTokenId: 0, typeVocabSize: 2, hiddenAct: 'gelu',
      id2label: labels, raw: {},
    };
    this.tokenizer = {
      vocabSize: 100, clsId: 1, sepId: 2, padId: 0,
      encode: (text: string): Encoding => {
        const ps = fakePieces(text);
        return { ids: [1, ...ps.map(() => 5), 2], offsets: [[0, 0], ...ps.map((p): [number, number] => [p.start, p.end]), [0, 0]], special: [true, ...ps.map(() => false), true] };
      },
    };
  }

  /** nothing to release (LoadedModel gains dispose() in the engine branch) */
  async dispose(): Promise<void> {}

  windows(text: string): TokenWindow[] {
    const pieces = fakePieces(text);
    const content = (this.opts.windowTokens ?? 512) - 2;
    const step = Math.max(1, content - (this.opts.stride ?? 0));
    const out: TokenWindow[] = [];
    for (let s = 0; ; s += step) {
      const e = Math.min(s + content, pieces.length);
      const slice = pieces.slice(s, e);
      const ids = [1];
      slice.forEach((piece, position) => {
        const id = this.nextId++;
        this.pieceById.set(id, { piece, window: out.length, position, windowLength: slice.length });
        ids.push(id);
      });
      ids.push(2);
      out.push({
        index: out.length, ids, offsets: [[0, 0], ...slice.map((p): [number, number] => [p.start, p.end]), [0, 0]],
        tokenStart: s, tokenEnd: e, charStart: slice[0]?.start ?? 0, charEnd: slice[slice.length - 1]?.end ?? 0,
      });
      if (e >= pieces.length) break;
    }
    return out;
  }

  async run(windows: readonly (readonly number[])[], outputs: readonly string[], signal?: AbortSignal): Promise<Array<Record<string, TensorOut>>> {
    if (signal?.aborted) throw new EngineError('cancelled', 'Cancelled.');
    if (!outputs.includes('logits') || !this.info.outputs.includes('logits')) throw new EngineError('bad-input', 'fake model: only logits');
    this.windowsRun += windows.length;
    const n = this.info.labels.length;
    return windows.map((ids, wi) => {
      const pieces = ids.map((id) => this.pieceById.get(id));
      if ((this.opts.head ?? 'token') === 'sequence') {
        const logits = this.opts.classify?.(pieces.filter((p) => p).map((p) => p!.piece.text), pieces.find((p) => p)?.window ?? wi) ?? new Array(n).fill(0);
        return { logits: { data: Float32Array.from(logits), dims: [n] } };
      }
      const data = new Float32Array(ids.length * n);
      pieces.forEach((p, pos) => {
        const label = p ? (this.opts.tag?.({ piece: p.piece.text, word: p.piece.word, wordStart: p.piece.wordStart, first: p.piece.first, window: p.window, position: p.position, windowLength: p.windowLength }) ?? 'O') : 'O';
        const j = this.info.labels.indexOf(label);
        if (j < 0) throw new Error(`fake model: unknown label ${label}`);
        data[pos * n + j] = 6;
      });
      return { logits: { data, dims: [ids.length, n] } };
    });
  }
}

/** A host whose model() is the given fake, or throws not-loaded. */
export function fakeHost(model?: LoadedModel): EngineHost & { logs: string[] } {
  const logs: string[] = [];
  return {
    logs,
    settings: () => ({ executionProvider: 'cpu', windowTokens: 512, windowStride: 128, batchSize: 8, threads: 0, pooling: 'mean', cacheDir: '' }),
    model: () => {
      if (!model) throw new EngineError('not-loaded', 'No model is loaded.');
      return model;
    },
    storageDir: () => '/tmp',
    log: (_level, message) => logs.push(message),
  };
}

/** Tags first pieces by a table of lower-cased whole word -> label; later pieces get `rest` (default 'O'). */
export function tagByWord(table: Record<string, string>, rest = 'O'): (p: PieceContext) => string {
  return (p) => (p.first ? table[p.word.toLowerCase()] ?? 'O' : rest);
}

/**
 * Tags the text's words (letter/digit runs and punctuation marks, in order) with
 * the given labels, one per word; later pieces of a word get `rest`.
 */
export function tagSequence(text: string, labels: string[], rest = 'O'): (p: PieceContext) => string {
  const starts = [...text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)].map((m) => m.index);
  if (starts.length !== labels.length) throw new Error(`tagSequence: ${starts.length} words, ${labels.length} labels`);
  const byStart = new Map(starts.map((s, i) => [s, labels[i]!]));
  return (p) => (p.first ? byStart.get(p.wordStart) ?? 'O' : rest);
}
