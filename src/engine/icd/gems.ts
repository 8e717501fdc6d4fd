/**
 * CMS General Equivalence Mappings (GEMs) between ICD-9-CM and ICD-10-CM/PCS
 * (the 2018 release is the last). Shown only when the user installs the GEM
 * files: a mapping is never guessed. Line format: source code, target code
 * (or NoDx / NoPCS), five flags (approximate, no map, combination, scenario, choice list).
 */
import { EngineError } from '../errors';
import { hasShape, type IcdSystem } from './systems';

export interface GemRow {
  from: IcdSystem;
  fromCode: string;
  to: IcdSystem;
  toCode: string;
  approximate: boolean;
  /** part of a combination: the source needs several target codes together */
  combination: boolean;
}

interface GemSpec {
  name: RegExp;
  from: IcdSystem;
  to: IcdSystem;
  description: string;
}

const GEMS: GemSpec[] = [
  { name: /^\d{4}_I10gem\.txt$/i, from: 'icd10cm', to: 'icd9cm-dx', description: 'ICD-10-CM to ICD-9-CM GEM' },
  { name: /^\d{4}_I9gem\.txt$/i, from: 'icd9cm-dx', to: 'icd10cm', description: 'ICD-9-CM to ICD-10-CM GEM' },
  { name: /^gem_pcsi9\.txt$/i, from: 'icd10pcs', to: 'icd9cm-sg', description: 'ICD-10-PCS to ICD-9-CM GEM' },
  { name: /^gem_i9pcs\.txt$/i, from: 'icd9cm-sg', to: 'icd10pcs', description: 'ICD-9-CM to ICD-10-PCS GEM' },
];

function specOf(fileName: string): GemSpec | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return GEMS.find((g) => g.name.test(base));
}

export function isGemFile(fileName: string): boolean {
  return specOf(fileName) !== undefined;
}

export interface GemParse {
  rows: GemRow[];
  lines: number;
  /** lines whose target is NoDx / NoPCS: no mapping, not an error */
  noMap: number;
  malformed: number;
  warnings: string[];
}

export function parseGemFile(bytes: Uint8Array, fileName: string): GemParse {
  const spec = specOf(fileName);
  if (!spec) throw new EngineError('bad-input', `${fileName} is not a GEM file name CMS uses.`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const out: GemParse = { rows: [], lines: 0, noMap: 0, malformed: 0, warnings: [] };
  let firstBad = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    out.lines++;
    const m = /^([0-9A-Z]{3,7})\s+([0-9A-Z]{3,7}|NoDx|NoPCS)\s+([01]{5})$/.exec(line);
    if (!m || !hasShape(spec.from, m[1]!)) {
      out.malformed++;
      firstBad ||= i + 1;
      return;
    }
    const flags = m[3]!;
    if (flags[1] === '1' || m[2] === 'NoDx' || m[2] === 'NoPCS') {
      out.noMap++;
      return;
    }
    if (!hasShape(spec.to, m[2]!)) {
      out.malformed++;
      firstBad ||= i + 1;
      return;
    }
    out.rows.push({ from: spec.from, fromCode: m[1]!, to: spec.to, toCode: m[2]!, approximate: flags[0] === '1', combination: flags[2] === '1' });
  });
  if (out.lines === 0) throw new EngineError('bad-input', `${fileName} is empty.`);
  if (out.malformed * 2 > out.lines) {
    throw new EngineError('bad-input', `${fileName}: ${out.malformed} of ${out.lines} lines are not in the ${spec.description} format (first at line ${firstBad}).`);
  }
  if (out.malformed) out.warnings.push(`${fileName}: ${out.malformed} malformed line(s) skipped (first at line ${firstBad}).`);
  return out;
}
