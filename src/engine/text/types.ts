/** Token ids with their [start, end) UTF-16 offsets into the original text. */
export interface Encoding {
  /** Token ids, special tokens included ([CLS] ... [SEP]). */
  ids: number[];
  /** One [start, end) pair per token, UTF-16 code units into the text as given. Special tokens get empty spans. */
  offsets: Array<[number, number]>;
  /** true for tokens added by the post-processor ([CLS], [SEP]) */
  special: boolean[];
}

/** A slice of a long note's tokens that fits the model, with the character span it covers. */
export interface TokenWindow {
  /** index of this window in the note */
  index: number;
  /** ids with [CLS]/[SEP] added, ready for the model */
  ids: number[];
  /** offsets for each id (special tokens empty) */
  offsets: Array<[number, number]>;
  /** [first, last) index of the note's content tokens (no specials) that this window holds */
  tokenStart: number;
  tokenEnd: number;
  /** [start, end) UTF-16 character span of the note that the window's content tokens cover */
  charStart: number;
  charEnd: number;
}

export interface WindowOptions {
  /** total tokens per window, specials included */
  windowTokens: number;
  /** tokens shared by consecutive windows */
  stride: number;
}
