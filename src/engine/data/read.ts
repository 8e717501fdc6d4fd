/**
 * Reads labelled datasets. This first version reads JSONL only
 * ({"text","spans":[{"start","end","label"}]} and {"text","label"}); the other
 * formats (CoNLL, brat, CSV) and format detection follow.
 */
import * as fs from 'node:fs';
import { EngineError } from '../errors';
import type { Dataset, LabelledDocument } from './types';

export async function readDataset(paths: string[]): Promise<Dataset> {
  const dataset: Dataset = { documents: [], problems: [], formats: [] };
  for (const p of paths) {
    if (!p.endsWith('.jsonl')) throw new EngineError('bad-input', `${p}: only .jsonl datasets can be read yet.`);
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    let spans = false;
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      let v: { text?: unknown; spans?: unknown; label?: unknown };
      try {
        v = JSON.parse(l) as typeof v;
      } catch {
        throw new EngineError('bad-input', `${p}:${i + 1}: not a JSON object.`);
      }
      if (typeof v.text !== 'string') throw new EngineError('bad-input', `${p}:${i + 1}: "text" must be a string.`);
      const doc: LabelledDocument = { id: `${p}:${i + 1}`, text: v.text };
      if (Array.isArray(v.spans)) {
        spans = true;
        doc.spans = (v.spans as Array<{ start: number; end: number; label: string }>).map((s) => ({ start: s.start, end: s.end, label: s.label }));
      }
      if (typeof v.label === 'string') doc.label = v.label;
      dataset.documents.push(doc);
    });
    dataset.formats.push(spans ? 'jsonl-spans' : 'jsonl-labels');
  }
  return dataset;
}
