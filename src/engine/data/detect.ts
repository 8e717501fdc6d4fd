/**
 * Which reader a file needs: by extension first, by content when the
 * extension does not say (or, for `.txt`, when no `.ann` lies beside it).
 *
 * | extension | read as |
 * |---|---|
 * | .conll .conll03 .iob .iob2 .bio .bioes .bilou .tsv | CoNLL |
 * | .jsonl .ndjson | JSON lines |
 * | .json | JSON lines or a JSON array, by the first character |
 * | .csv | CSV (`text,label`, or `path,label` for a folder of notes) |
 * | .txt with .ann beside it, .ann | brat |
 * | anything else | by content: `{` JSON lines, `[` JSON array, token/tag lines CoNLL, a text,label or path,label header CSV |
 */
import * as path from 'node:path';
import { looksLikeConll } from './conll';
import { csvKind } from './csvLabels';
import { parseCsv } from './rfc4180';

export type SourceKind = 'conll' | 'jsonl' | 'json' | 'csv' | 'brat';

export interface DetectedKind {
  kind: SourceKind;
  detectedBy: 'extension' | 'content';
}

export const CONLL_EXTENSIONS = ['.conll', '.conll03', '.iob', '.iob2', '.bio', '.bioes', '.bilou', '.tsv'];
const JSONL_EXTENSIONS = ['.jsonl', '.ndjson'];

function firstLine(head: string): string {
  const nl = head.indexOf('\n');
  return (nl < 0 ? head : head.slice(0, nl)).replace(/\r$/, '');
}

function byContent(head: string): SourceKind | undefined {
  const first = head.trimStart()[0];
  if (first === '{') return 'jsonl';
  if (first === '[') return 'json';
  if (looksLikeConll(head)) return 'conll';
  const header = parseCsv(firstLine(head)).records[0];
  if (header && csvKind(header.fields)) return 'csv';
  return undefined;
}

/**
 * `head`: the start of the file. `annBeside`: a `.ann` with the same stem
 * exists. `contentSniffing`: false for files met while walking a folder,
 * where only known extensions (and CoNLL-shaped .txt) are read.
 */
export function detectKind(file: string, head: string, annBeside: boolean, contentSniffing = true): DetectedKind | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ann') return { kind: 'brat', detectedBy: 'extension' };
  if (ext === '.txt') {
    if (annBeside) return { kind: 'brat', detectedBy: 'extension' };
    return looksLikeConll(head) ? { kind: 'conll', detectedBy: 'content' } : undefined;
  }
  if (CONLL_EXTENSIONS.includes(ext)) return { kind: 'conll', detectedBy: 'extension' };
  if (JSONL_EXTENSIONS.includes(ext)) return { kind: 'jsonl', detectedBy: 'extension' };
  if (ext === '.csv') return { kind: 'csv', detectedBy: 'extension' };
  if (ext === '.json') {
    const first = head.trimStart()[0];
    return first === '[' ? { kind: 'json', detectedBy: 'content' } : first === '{' ? { kind: 'jsonl', detectedBy: 'content' } : undefined;
  }
  if (!contentSniffing) return undefined;
  const kind = byContent(head);
  return kind ? { kind, detectedBy: 'content' } : undefined;
}
