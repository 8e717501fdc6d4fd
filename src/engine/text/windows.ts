/**
 * Long notes do not fit a model's context, and Clinical ModernBERT was trained
 * on 128-token sequences anyway: notes are cut into overlapping windows of
 * tokens, each wrapped in [CLS] ... [SEP] and carrying the character span it
 * covers, so results map back to the note.
 */
import { EngineError } from '../errors';
import type { Encoding, TokenWindow, WindowOptions } from './types';

export const DEFAULT_WINDOW_TOKENS = 512;
export const DEFAULT_STRIDE = 128;
/** [CLS] and [SEP] */
const SPECIALS_PER_WINDOW = 2;

export interface SpecialIds {
  clsId: number;
  sepId: number;
}

/**
 * The window and stride actually used. The window is capped by the model's
 * max_position_embeddings (and is at least 3: [CLS], one token, [SEP]); the
 * stride is clamped to [0, half the window's content], so every window brings
 * at least half new tokens and a note never turns into a window per token.
 */
export function effectiveWindowTokens(
  setting: Partial<WindowOptions> = {},
  maxPositionEmbeddings?: number,
): WindowOptions {
  let windowTokens = Math.floor(setting.windowTokens ?? DEFAULT_WINDOW_TOKENS);
  if (!Number.isFinite(windowTokens)) windowTokens = DEFAULT_WINDOW_TOKENS;
  if (maxPositionEmbeddings !== undefined && maxPositionEmbeddings > 0) windowTokens = Math.min(windowTokens, maxPositionEmbeddings);
  windowTokens = Math.max(SPECIALS_PER_WINDOW + 1, windowTokens);
  return { windowTokens, stride: clampStride(setting.stride ?? DEFAULT_STRIDE, windowTokens - SPECIALS_PER_WINDOW) };
}

function clampStride(stride: number, content: number): number {
  const s = Number.isFinite(stride) ? Math.floor(stride) : DEFAULT_STRIDE;
  return Math.max(0, Math.min(s, Math.floor(content / 2)));
}

/**
 * Windows over a note's content tokens (special tokens in the encoding are
 * ignored). Consecutive windows share `stride` tokens; the last window ends at
 * the last token and may be shorter; an empty note gives one [CLS][SEP] window.
 */
export function makeWindows(encoding: Encoding, opts: WindowOptions, specials: SpecialIds): TokenWindow[] {
  if (!Number.isInteger(opts.windowTokens) || opts.windowTokens < SPECIALS_PER_WINDOW + 1) {
    throw new EngineError('bad-input', `A window must hold at least ${SPECIALS_PER_WINDOW + 1} tokens ([CLS], one token, [SEP]); got ${opts.windowTokens}.`);
  }
  const ids: number[] = [];
  const offsets: Array<[number, number]> = [];
  for (let i = 0; i < encoding.ids.length; i++) {
    if (encoding.special[i]) continue;
    ids.push(encoding.ids[i]);
    offsets.push(encoding.offsets[i]);
  }
  const content = opts.windowTokens - SPECIALS_PER_WINDOW;
  const stride = clampStride(opts.stride, content);
  const windows: TokenWindow[] = [];
  let start = 0;
  for (;;) {
    const end = Math.min(start + content, ids.length);
    windows.push(window(windows.length, ids, offsets, start, end, specials));
    if (end >= ids.length) break;
    start = end - stride;
  }
  return windows;
}

function window(
  index: number,
  ids: number[],
  offsets: Array<[number, number]>,
  tokenStart: number,
  tokenEnd: number,
  { clsId, sepId }: SpecialIds,
): TokenWindow {
  let charStart = tokenEnd > tokenStart ? offsets[tokenStart][0] : 0;
  let charEnd = charStart;
  for (let i = tokenStart; i < tokenEnd; i++) {
    if (offsets[i][0] < charStart) charStart = offsets[i][0];
    if (offsets[i][1] > charEnd) charEnd = offsets[i][1];
  }
  return {
    index,
    ids: [clsId, ...ids.slice(tokenStart, tokenEnd), sepId],
    offsets: [[charStart, charStart], ...offsets.slice(tokenStart, tokenEnd), [charEnd, charEnd]],
    tokenStart,
    tokenEnd,
    charStart,
    charEnd,
  };
}

/** The first window only: a note cut to the model's size, for tasks that read one window. */
export function truncateEncoding(encoding: Encoding, maxTokens: number, specials: SpecialIds): Encoding {
  const w = makeWindows(encoding, { windowTokens: maxTokens, stride: 0 }, specials)[0];
  return { ids: w.ids, offsets: w.offsets, special: w.ids.map((_, i) => i === 0 || i === w.ids.length - 1) };
}
