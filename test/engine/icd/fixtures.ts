/**
 * Paths and helpers shared by the ICD tests: the hand-written fixture release
 * and the official files in ../shared/data (optional).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatOfFileName, parseCodeFile, type CodeRecord } from '../../../src/engine/icd/codesets';
import { knowledgeOfRecords, type CodeKnowledge } from '../../../src/engine/icd/detect';
import type { IcdSystem } from '../../../src/engine/icd/systems';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/icd');
export const RELEASE = path.join(FIXTURES, 'release');
export const OFFICIAL = path.resolve(__dirname, '../../..', '../shared/data/icd');
export const officialReason = fs.existsSync(OFFICIAL) ? undefined : `official ICD files not found at ${OFFICIAL}`;

const created: string[] = [];
// every test file runs in its own process: its folders go when it exits
process.on('exit', () => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

/** a fresh folder under the system temp folder, removed when the test process exits */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `cmb-icd-${prefix}-`));
  created.push(d);
  return d;
}

/** every record of the fixture release, parsed without a database */
export function fixtureRecords(): CodeRecord[] {
  const out: CodeRecord[] = [];
  for (const name of fs.readdirSync(RELEASE)) {
    const f = formatOfFileName(name);
    if (f && !f.endsWith('-short')) out.push(...parseCodeFile(fs.readFileSync(path.join(RELEASE, name)), name, f).records);
  }
  return out;
}

/** what detection knows when the given records are installed */
export function knowledgeOf(records: CodeRecord[], installed?: IcdSystem[]): CodeKnowledge {
  return knowledgeOfRecords(records, installed);
}
