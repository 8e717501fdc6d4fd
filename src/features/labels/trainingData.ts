/**
 * What "the labelled notes of this workspace" are for training, as the engine's
 * dataset reader takes them: paths, so that the engine reads and checks them
 * exactly as `cmb train --data` would. Free of the VS Code API.
 *
 * - entities: every `.txt` note with a `.ann` beside it (brat); a note of
 *   another extension (`.md`) is not a brat note for the reader, so its text
 *   and spans are passed as documents instead;
 * - classification: the labels files (`labels.csv` / `labels.jsonl`), which
 *   name their notes.
 *
 * The workspace folder itself is never passed: reading a folder takes every
 * CoNLL/JSONL/CSV-looking file in it as a dataset, and a workspace of notes
 * holds other files too.
 */
import * as path from 'node:path';
import type { LabelledDocument } from '../../engine/data/types';
import { parseLabelsFile } from '../../engine/data/labelsFile';
import { readTextIfExists, startsWithBom } from './labelFiles';
import { NoteLabels } from './noteLabels';

export interface LabelledNoteRef {
  note: string;
  ann?: string;
}

export interface TrainingData {
  data: string[];
  documents: LabelledDocument[];
  /** notes the data holds (for the user: "train on 41 notes") */
  notes: number;
}

export async function workspaceTrainingData(task: 'ner' | 'classify', notes: readonly LabelledNoteRef[], labelFiles: readonly string[], root?: string): Promise<TrainingData> {
  if (task === 'classify') {
    // the labels files name their notes: count those, so the picker can offer them ("train on 40 notes")
    let notes = 0;
    for (const f of labelFiles) {
      const text = await readTextIfExists(f);
      if (text === undefined) continue;
      notes += parseLabelsFile(text.replace(/^\uFEFF/, ''), path.basename(f), f.toLowerCase().endsWith('.jsonl') ? 'jsonl' : 'csv', []).size;
    }
    return { data: [...labelFiles], documents: [], notes };
  }
  const data: string[] = [];
  const documents: LabelledDocument[] = [];
  for (const n of notes) {
    if (!n.ann) continue;
    if (path.extname(n.note).toLowerCase() === '.txt') {
      data.push(n.note);
      continue;
    }
    const [text, ann, hadBom] = await Promise.all([readTextIfExists(n.note), readTextIfExists(n.ann), startsWithBom(n.note)]);
    if (text === undefined || ann === undefined) continue;
    const plain = text.replace(/^\uFEFF/, '');
    const { labels } = NoteLabels.read(ann, plain, { hadBom });
    // flagged spans are the user's to settle: training takes what the .ann says, as the reader does for .txt notes
    const spans = labels.spans.filter((s) => !s.review).map((s) => ({ start: s.start, end: s.end, label: s.label }));
    documents.push({ id: root ? path.relative(root, n.note).split(path.sep).join('/') : n.note, text: plain, spans });
  }
  return { data, documents, notes: data.length + documents.length };
}
