/**
 * `cmb convert-data`: converts labelled datasets between CoNLL, brat, JSONL
 * and CSV with the engine's readers and writers (docs/datasets.md).
 *
 *   cmb convert-data --from PATH [--from PATH...] --to FILE_OR_DIR
 *       [--format conll|brat|jsonl|jsonl-spans|jsonl-labels|csv]
 *       [--offsets codepoints|utf16] [--max-mb N] [--strict] [--force]
 *
 * stdout: one JSON line with the sources and their detected formats, the
 * output format, and counts (documents, spans per label, document labels per
 * label, documents written, problems). stderr: each problem on one line
 * (file:line: document [start,end) message). Exit 0 when converted, problems
 * included; 1 when nothing could be read, or with --strict when there are
 * problems (then nothing is written); 2 on bad usage.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONLL_EXTENSIONS } from '../engine/data/detect';
import { describeProblem, readDataset } from '../engine/data/read';
import type { DatasetFormat, LabelledDocument } from '../engine/data/types';
import { commitRendered, renderDataset } from '../engine/data/write';
import { CliInputError, type CliIo } from './io';

const USAGE = 'cmb convert-data --from PATH [--from PATH...] --to FILE_OR_DIR [--format F] [--offsets codepoints|utf16] [--max-mb N] [--strict] [--force]';
const VALUED = ['from', 'to', 'format', 'offsets', 'max-mb'];
const SWITCHES = ['strict', 'force'];
const FORMATS: Record<string, DatasetFormat | 'jsonl'> = {
  conll: 'conll',
  brat: 'brat',
  jsonl: 'jsonl',
  'jsonl-spans': 'jsonl-spans',
  'jsonl-labels': 'jsonl-labels',
  csv: 'csv-labels',
  'csv-labels': 'csv-labels',
};

interface ConvertArgs {
  from: string[];
  to?: string;
  format?: string;
  offsets?: string;
  'max-mb'?: string;
  strict: boolean;
  force: boolean;
}

/** Like parseArgs, but --from may repeat and anything unknown is refused. */
function parseConvertArgs(args: readonly string[]): ConvertArgs {
  const out: ConvertArgs = { from: [], strict: false, force: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new CliInputError(`unexpected argument "${a}" (${USAGE})`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (SWITCHES.includes(name) && eq < 0) {
      out[name as 'strict' | 'force'] = true;
      continue;
    }
    if (!VALUED.includes(name)) throw new CliInputError(`unknown option --${name} (${USAGE})`);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new CliInputError(`--${name} needs a value`);
    if (name === 'from') out.from.push(value);
    else out[name as 'to' | 'format' | 'offsets' | 'max-mb'] = value;
  }
  return out;
}

function outputFormat(to: string, flag: string | undefined, docs: readonly LabelledDocument[]): DatasetFormat {
  let f: DatasetFormat | 'jsonl' | undefined;
  if (flag !== undefined) {
    f = FORMATS[flag];
    if (!f) throw new CliInputError(`--format must be one of ${Object.keys(FORMATS).join(', ')}`);
  } else {
    const ext = path.extname(to).toLowerCase();
    if (CONLL_EXTENSIONS.includes(ext)) f = 'conll';
    else if (ext === '.jsonl' || ext === '.ndjson') f = 'jsonl';
    else if (ext === '.csv') f = 'csv-labels';
    else if (ext === '' || to.endsWith('/') || fs.statSync(to, { throwIfNoEntry: false })?.isDirectory()) f = 'brat';
    else throw new CliInputError(`cannot tell the output format from "${to}": name it .conll, .jsonl, .csv or a folder (brat), or add --format`);
  }
  if (f === 'jsonl') return docs.some((d) => d.spans !== undefined) ? 'jsonl-spans' : 'jsonl-labels';
  return f;
}

function countBy(values: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export async function runConvertData(args: string[], io: CliIo): Promise<number> {
  const a = parseConvertArgs(args);
  if (!a.from.length) throw new CliInputError(`--from PATH is required (${USAGE})`);
  if (!a.to) throw new CliInputError(`--to FILE_OR_DIR is required (${USAGE})`);
  if (a.offsets !== undefined && a.offsets !== 'codepoints' && a.offsets !== 'utf16') throw new CliInputError('--offsets must be codepoints or utf16');
  let maxFileBytes: number | undefined;
  if (a['max-mb'] !== undefined) {
    const mb = Number(a['max-mb']);
    if (!Number.isFinite(mb) || mb <= 0) throw new CliInputError('--max-mb must be a positive number');
    maxFileBytes = Math.round(mb * 1024 * 1024);
  }
  if (a.format !== undefined && !FORMATS[a.format]) throw new CliInputError(`--format must be one of ${Object.keys(FORMATS).join(', ')}`);

  const dataset = await readDataset(a.from, { offsets: a.offsets as 'codepoints' | 'utf16' | undefined, maxFileBytes });
  const format = outputFormat(a.to, a.format, dataset.documents);
  const rendered = renderDataset(dataset.documents, format);
  const problems = [...dataset.problems, ...rendered.problems];
  for (const p of problems) io.err(describeProblem(p));

  const nothingRead = dataset.documents.length === 0;
  const refused = nothingRead || (a.strict && problems.length > 0);
  if (!refused) commitRendered(rendered, a.to, { overwrite: a.force });
  io.out(
    JSON.stringify({
      from: (dataset.sources ?? []).map((s) => ({ path: s.path, format: s.format, detected: s.detectedBy })),
      to: a.to,
      format,
      documents: dataset.documents.length,
      spans: countBy(dataset.documents.flatMap((d) => (d.spans ?? []).map((s) => s.label))),
      labels: countBy(dataset.documents.flatMap((d) => (d.label !== undefined ? [d.label] : []))),
      written: refused ? 0 : rendered.documents,
      problems: problems.length,
    }),
  );
  if (nothingRead) {
    io.err('cmb convert-data: no documents could be read: nothing written');
    return 1;
  }
  if (refused) {
    io.err(`cmb convert-data: ${problems.length} problem(s) and --strict: nothing written`);
    return 1;
  }
  return 0;
}
