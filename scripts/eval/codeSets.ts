/** The official code-set files under a folder (../shared/data/icd), read as the store reads them: for the evaluation scripts. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatOfFileName, parseCodeFile, type CodeRecord } from '../../src/engine/icd/codesets';

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** every record of every long-title file below `dir` (short-title files are the same codes) */
export function readCodeRecords(dir: string): CodeRecord[] {
  const records: CodeRecord[] = [];
  for (const f of walk(dir)) {
    const format = formatOfFileName(path.basename(f));
    if (format && !format.endsWith('-short')) records.push(...parseCodeFile(fs.readFileSync(f), path.basename(f), format).records);
  }
  return records;
}
