/**
 * Parsers for the official CMS/CDC release files. Each format is recognised by
 * its file name and checked by its content; encodings are decided by format
 * (CMS32_DESC_LONG_DX.txt is Latin-1), with a check that catches re-saved files.
 */
import { EngineError } from '../errors';
import { hasShape, type IcdSystem } from './systems';

export type SourceFormat =
  | 'icd10cm-order'
  | 'icd10cm-codes'
  | 'icd10pcs-order'
  | 'icd10pcs-codes'
  | 'icd9cm-dx-long'
  | 'icd9cm-dx-short'
  | 'icd9cm-sg-long'
  | 'icd9cm-sg-short';

export interface CodeRecord {
  system: IcdSystem;
  /** undotted, upper case */
  code: string;
  /** false for headers (categories, PCS tables), which cannot be billed */
  billable: boolean;
  short: string;
  long: string;
}

export interface ParseReport {
  file: string;
  format: SourceFormat;
  encoding: 'ascii' | 'utf-8' | 'latin-1';
  /** non-blank lines */
  lines: number;
  records: number;
  malformed: number;
  /** 1-based line numbers of the first few malformed lines */
  malformedLines: number[];
  duplicates: number;
  warnings: string[];
}

export interface ParsedFile {
  records: CodeRecord[];
  report: ParseReport;
}

interface FormatSpec {
  system: IcdSystem;
  description: string;
  latin1: boolean;
  /** the file name, without folders */
  name: RegExp;
  parse(line: string): Omit<CodeRecord, 'system'> | undefined;
}

function orderLine(line: string): Omit<CodeRecord, 'system'> | undefined {
  // order number (5), space, code (7, left aligned), space, 0/1, space, short (60), space, long
  const m = /^(\d{5}) ([0-9A-Z]{3,7}) {0,4} ([01]) (.*)$/.exec(line);
  if (!m) return undefined;
  const rest = m[4]!;
  const short = rest.slice(0, 60).trim();
  const long = rest.slice(61).trim() || short;
  if (!short) return undefined;
  return { code: m[2]!, billable: m[3] === '1', short, long };
}

function codeLine(billable: boolean): (line: string) => Omit<CodeRecord, 'system'> | undefined {
  return (line) => {
    const m = /^([0-9A-Z]{2,7})\s+(\S.*)$/.exec(line);
    if (!m) return undefined;
    const text = m[2]!.trim();
    return { code: m[1]!, billable, short: text, long: text };
  };
}

export const FORMATS: Record<SourceFormat, FormatSpec> = {
  'icd10cm-order': { system: 'icd10cm', description: 'ICD-10-CM order file', latin1: false, name: /^icd10cm[-_ ]?order[-_ ](?!.*addend).*\.txt$/i, parse: orderLine },
  // the codes file lists billable codes only
  'icd10cm-codes': { system: 'icd10cm', description: 'ICD-10-CM codes file', latin1: false, name: /^icd10cm[-_ ]?codes[-_ ](?!.*addend).*\.txt$/i, parse: codeLine(true) },
  'icd10pcs-order': { system: 'icd10pcs', description: 'ICD-10-PCS order file', latin1: false, name: /^icd10pcs[-_ ]?order[-_ ](?!.*addend).*\.txt$/i, parse: orderLine },
  'icd10pcs-codes': { system: 'icd10pcs', description: 'ICD-10-PCS codes file', latin1: false, name: /^icd10pcs[-_ ]?codes[-_ ](?!.*addend).*\.txt$/i, parse: codeLine(true) },
  // ICD-9-CM v32 files list only the valid (billable) codes
  'icd9cm-dx-long': { system: 'icd9cm-dx', description: 'ICD-9-CM diagnosis long titles', latin1: true, name: /^CMS\d+_DESC_LONG_DX\.txt$/i, parse: codeLine(true) },
  'icd9cm-dx-short': { system: 'icd9cm-dx', description: 'ICD-9-CM diagnosis short titles', latin1: true, name: /^CMS\d+_DESC_SHORT_DX\.txt$/i, parse: codeLine(true) },
  'icd9cm-sg-long': { system: 'icd9cm-sg', description: 'ICD-9-CM procedure long titles', latin1: true, name: /^CMS\d+_DESC_LONG_SG\.txt$/i, parse: codeLine(true) },
  'icd9cm-sg-short': { system: 'icd9cm-sg', description: 'ICD-9-CM procedure short titles', latin1: true, name: /^CMS\d+_DESC_SHORT_SG\.txt$/i, parse: codeLine(true) },
};

/** The format a file name announces, if any. */
export function formatOfFileName(fileName: string): SourceFormat | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  return (Object.keys(FORMATS) as SourceFormat[]).find((f) => FORMATS[f].name.test(base));
}

export interface Decoded {
  text: string;
  encoding: ParseReport['encoding'];
  warning?: string;
}

/**
 * Decodes by format: Latin-1 formats as Latin-1, others as UTF-8. A Latin-1
 * file that is valid UTF-8 with non-ASCII bytes was re-saved by someone and is
 * read as UTF-8 (otherwise "Ménière" would become "MÃ©niÃ¨re"); a UTF-8 file
 * that is not valid UTF-8 is read as Latin-1. UTF-16 is refused.
 */
export function decodeCodeFile(bytes: Uint8Array, fileName: string, latin1: boolean): Decoded {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || looksUtf16(bytes)) {
    throw new EngineError('bad-input', `${fileName} is UTF-16 text; the official code files are plain text (ASCII or Latin-1). Use the file as downloaded from CMS, or save it as UTF-8.`);
  }
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  let ascii = true;
  for (let i = 0; i < body.length; i++) {
    if (body[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), encoding: 'ascii' };
  let utf8: string | undefined;
  try {
    utf8 = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    utf8 = undefined;
  }
  const latin = () => Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  if (latin1) {
    if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8', warning: `${fileName} is officially Latin-1 but this copy was saved as UTF-8; it was read as UTF-8.` };
    return { text: latin(), encoding: 'latin-1' };
  }
  if (utf8 !== undefined) return { text: utf8, encoding: 'utf-8' };
  return { text: latin(), encoding: 'latin-1', warning: `${fileName} is not valid UTF-8; it was read as Latin-1. Check accented letters in its descriptions.` };
}

function looksUtf16(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 4096);
  let zeros = 0;
  for (let i = 0; i < n; i++) if (bytes[i] === 0) zeros++;
  return n > 0 && zeros > n / 8;
}

/**
 * Parses one file. Malformed lines are counted and reported; the file is
 * refused only when most of its lines are malformed (wrong file or format).
 */
export function parseCodeFile(bytes: Uint8Array, fileName: string, format: SourceFormat): ParsedFile {
  const spec = FORMATS[format];
  const decoded = decodeCodeFile(bytes, fileName, spec.latin1);
  const records: CodeRecord[] = [];
  const seen = new Set<string>();
  const report: ParseReport = {
    file: fileName,
    format,
    encoding: decoded.encoding,
    lines: 0,
    records: 0,
    malformed: 0,
    malformedLines: [],
    duplicates: 0,
    warnings: decoded.warning ? [decoded.warning] : [],
  };
  const lines = decoded.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+$/, '');
    if (!line) continue;
    report.lines++;
    const r = spec.parse(line);
    if (!r || !hasShape(spec.system, r.code)) {
      report.malformed++;
      if (report.malformedLines.length < 5) report.malformedLines.push(i + 1);
      continue;
    }
    if (seen.has(r.code)) {
      report.duplicates++;
      continue;
    }
    seen.add(r.code);
    records.push({ system: spec.system, ...r });
  }
  report.records = records.length;
  if (report.lines === 0) throw new EngineError('bad-input', `${fileName} is empty.`);
  if (report.malformed * 2 > report.lines) {
    throw new EngineError(
      'bad-input',
      `${fileName}: ${report.malformed} of ${report.lines} lines are not in the ${spec.description} format (first at line ${report.malformedLines[0]}). Is this the right file?`,
    );
  }
  if (report.malformed > 0) {
    report.warnings.push(`${fileName}: ${report.malformed} malformed line(s) skipped (line ${report.malformedLines.join(', ')}${report.malformed > report.malformedLines.length ? ', ...' : ''}).`);
  }
  if (report.duplicates > 0) report.warnings.push(`${fileName}: ${report.duplicates} duplicate code(s); the first occurrence was kept.`);
  return { records, report };
}

/**
 * Joins long and short titles of one system (ICD-9-CM ships them in separate
 * files): long wins for `long`, short for `short`; a code in only one keeps its own title.
 */
export function mergeTitles(long: CodeRecord[], short: CodeRecord[]): CodeRecord[] {
  const shortByCode = new Map(short.map((r) => [r.code, r.short]));
  const out = long.map((r) => ({ ...r, short: shortByCode.get(r.code) ?? r.short }));
  const longCodes = new Set(long.map((r) => r.code));
  for (const r of short) if (!longCodes.has(r.code)) out.push(r);
  return out;
}
