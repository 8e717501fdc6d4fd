/**
 * CSV as RFC 4180 writes it: fields separated by commas, records by CRLF or
 * LF, fields in double quotes may hold commas, line breaks and doubled quotes.
 * Hand-written rather than a dependency because readers must report malformed
 * records by line (and never quote their text), and the whole grammar is the
 * state machine below.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts */
  line: number;
}

export interface CsvIssue {
  line: number;
  message: string;
}

/** Blank lines are skipped. Malformed quoting is read leniently and reported. */
export function parseCsv(text: string): { records: CsvRecord[]; issues: CsvIssue[] } {
  const records: CsvRecord[] = [];
  const issues: CsvIssue[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field began with a quote
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '' )) records.push({ fields, line: recordLine });
    fields = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const n = text[i];
        if (n !== undefined && n !== ',' && n !== '\n' && n !== '\r') issues.push({ line, message: 'characters after a closing quote: read as part of the field' });
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field === '' && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else {
        issues.push({ line, message: 'a quote inside an unquoted field: read literally' });
        field += c;
      }
      i++;
      continue;
    }
    if (c === ',') {
      endField();
      i++;
      continue;
    }
    if (c === '\r' || c === '\n') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
      continue;
    }
    field += c;
    i++;
  }
  if (quoted) {
    issues.push({ line: recordLine, message: 'a quoted field is never closed: the record is left out' });
    fields = [];
    field = '';
  } else if (field !== '' || fields.length) endRecord();
  return { records, issues };
}

export function formatCsvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One record per line, LF line ends (RFC 4180 allows readers to take both; git diffs stay clean). */
export function formatCsv(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((r) => r.map(formatCsvField).join(',')).join('\n') + '\n';
}
