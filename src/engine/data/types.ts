/**
 * Labelled datasets as every reader produces them and every consumer (training,
 * evaluation, export, the labelling feature) takes them. Offsets are UTF-16
 * `[start, end)` into `text`, as everywhere in the engine. Types only.
 */

export interface LabelledSpan {
  start: number;
  end: number;
  label: string;
}

/** A word of the source's own tokenization (CoNLL rows, Prodigy "tokens"), in UTF-16 offsets. */
export interface SourceWord {
  start: number;
  end: number;
}

export interface LabelledDocument {
  /** stable within a dataset: file path (relative to the dataset root) plus line or sentence number */
  id: string;
  text: string;
  /** entity spans (NER); absent when the format carries none */
  spans?: LabelledSpan[];
  /** document label (classification); absent when the format carries none */
  label?: string;
  /**
   * The source's word boundaries, when it has them (CoNLL, Prodigy JSONL), so
   * that export to CoNLL gives back the same tokens. Not the model's tokens:
   * those always come from the model's tokenizer.
   */
  words?: SourceWord[];
}

export type DatasetFormat = 'conll' | 'brat' | 'jsonl-spans' | 'jsonl-labels' | 'csv-labels';

/** Something in the input that could not be used as it stands: never dropped silently. */
export interface DatasetProblem {
  /** document id, or the file when no document could be formed */
  doc: string;
  /** the file (relative to the dataset root) the line refers to, when it is not obvious from `doc` */
  file?: string;
  /** 1-based line in the source file, when the format has lines */
  line?: number;
  start?: number;
  end?: number;
  message: string;
}

/** One source read, with the format found for it and how it was found. */
export interface DatasetSource {
  path: string;
  format: DatasetFormat;
  detectedBy: 'extension' | 'content';
}

export interface Dataset {
  documents: LabelledDocument[];
  /** spans or documents left out, each with where and why */
  problems: DatasetProblem[];
  /** the format of each source read */
  formats: DatasetFormat[];
  /** each source read, with its format and how it was detected (the same order as `formats`) */
  sources?: DatasetSource[];
}
