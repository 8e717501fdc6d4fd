/**
 * Getting code sets: from the official zips (download) or from a folder of
 * already-downloaded files. A new store is built beside the active one and
 * switched in only when complete, so a failed, cancelled or garbage download
 * never replaces the set in use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { removeAbandonedPartials } from '../partialFiles';
import type { Progress } from '../progress';
import { readZipEntries, type RefuseZip } from '../zipArchive';
import { FORMATS, formatOfFileName, mergeTitles, parseCodeFile, type CodeRecord, type ParseReport, type SourceFormat } from './codesets';
import { isTabularFile, parseTabularBlocks, type Blocks } from './blocks';
import { isGemFile, parseGemFile, type GemRow } from './gems';
import { buildStore, IcdStore, type StoreMeta } from './store';

export interface SourceFile {
  /** file name or path inside a zip; used in messages */
  name: string;
  bytes: Buffer;
}

export interface InstallOptions {
  signal?: AbortSignal;
  progress?: (p: Progress) => void;
}

export interface InstallResult {
  file: string;
  meta: StoreMeta;
  reports: ParseReport[];
}

/** Official download limits: the CMS zips are 1-30 MB; anything far outside is not one of them. */
export const DOWNLOAD_LIMITS = { minBytes: 1024, maxBytes: 200 * 1024 * 1024 };

const ACTIVE = 'active.json';

export function icdDir(storageDir: string): string {
  return path.join(storageDir, 'icd');
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'Installing the code sets was cancelled.');
}

/** The active store's path, if a set is installed. */
export function activeStoreFile(storageDir: string): string | undefined {
  try {
    const a = JSON.parse(fs.readFileSync(path.join(icdDir(storageDir), ACTIVE), 'utf8')) as { file?: unknown };
    if (typeof a.file !== 'string' || a.file.includes('/') || a.file.includes('\\')) return undefined;
    const f = path.join(icdDir(storageDir), a.file);
    return fs.existsSync(f) ? f : undefined;
  } catch {
    return undefined;
  }
}

export async function openActiveStore(storageDir: string): Promise<IcdStore | undefined> {
  removeAbandonedBuilds(icdDir(storageDir));
  const f = activeStoreFile(storageDir);
  return f ? IcdStore.open(f) : undefined;
}

/** Lists the code files in a folder (and its subfolders, two levels), and what it ignores. */
export function scanFolder(folder: string): { files: Array<{ path: string; format: SourceFormat | 'icd10cm-tabular' | 'gem' }>; ignored: string[] } {
  let st: fs.Stats;
  try {
    st = fs.statSync(folder);
  } catch {
    throw new EngineError('missing-file', `The folder ${folder} does not exist.`);
  }
  if (!st.isDirectory()) throw new EngineError('bad-input', `${folder} is not a folder.`);
  const files: Array<{ path: string; format: SourceFormat | 'icd10cm-tabular' | 'gem' }> = [];
  const ignored: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < 2) walk(p, depth + 1);
        continue;
      }
      const format = formatOfFileName(e.name) ?? (isTabularFile(e.name) ? 'icd10cm-tabular' : isGemFile(e.name) ? 'gem' : undefined);
      if (format) files.push({ path: p, format });
      else ignored.push(path.relative(folder, p));
    }
  };
  walk(folder, 0);
  return { files, ignored };
}

/**
 * Parses source files into one record list. Where a release ships two forms of
 * one system (ICD-10-CM order and codes files), the order file wins: it has the
 * headers. ICD-9-CM long and short titles are joined.
 */
export function parseSources(
  sources: SourceFile[],
  ignored: string[] = [],
): { records: CodeRecord[]; reports: ParseReport[]; warnings: string[]; files: string[]; blocks?: Blocks; gems: GemRow[] } {
  const warnings: string[] = [];
  if (ignored.length) {
    const shown = ignored.slice(0, 5).join(', ');
    warnings.push(`Ignored ${ignored.length} file(s) that are not ICD code files: ${shown}${ignored.length > 5 ? ', ...' : ''}.`);
  }
  const byFormat = new Map<SourceFormat, SourceFile>();
  for (const s of [...sources].sort((a, b) => a.name.localeCompare(b.name))) {
    const f = formatOfFileName(s.name);
    if (!f) continue;
    const prev = byFormat.get(f);
    if (prev) warnings.push(`Two ${FORMATS[f].description}s: ${path.basename(prev.name)} and ${path.basename(s.name)}; using ${path.basename(s.name)}.`);
    byFormat.set(f, s);
  }
  if (!byFormat.size) {
    throw new EngineError(
      'missing-file',
      'No ICD code files found. Expected the official files, e.g. icd10cm_order_2027.txt (or icd10cm_codes_2027.txt), icd10pcs_order_2027.txt, CMS32_DESC_LONG_DX.txt.',
    );
  }
  const reports: ParseReport[] = [];
  const parsed = new Map<SourceFormat, CodeRecord[]>();
  for (const [f, s] of byFormat) {
    const { records, report } = parseCodeFile(s.bytes, path.basename(s.name), f);
    reports.push(report);
    warnings.push(...report.warnings);
    parsed.set(f, records);
  }
  let blocks: Blocks | undefined;
  const tabular = sources.filter((s) => isTabularFile(s.name)).sort((a, b) => a.name.localeCompare(b.name)).pop();
  if (tabular) {
    if (parsed.has('icd10cm-order') || parsed.has('icd10cm-codes')) blocks = parseTabularBlocks(tabular.bytes, path.basename(tabular.name));
    else warnings.push(`${path.basename(tabular.name)} (ICD-10-CM blocks) was not used: there is no ICD-10-CM order or codes file beside it.`);
  }
  const gems: GemRow[] = [];
  const gemFiles: string[] = [];
  for (const g of sources.filter((s) => isGemFile(s.name))) {
    const r = parseGemFile(g.bytes, path.basename(g.name));
    gems.push(...r.rows);
    warnings.push(...r.warnings);
    gemFiles.push(path.basename(g.name));
  }
  const records: CodeRecord[] = [];
  const pick = (preferred: SourceFormat, other: SourceFormat) => {
    if (parsed.has(preferred) && parsed.has(other)) warnings.push(`Both ${FORMATS[preferred].description} and ${FORMATS[other].description} given; using the ${FORMATS[preferred].description}.`);
    records.push(...(parsed.get(preferred) ?? parsed.get(other) ?? []));
  };
  pick('icd10cm-order', 'icd10cm-codes');
  pick('icd10pcs-order', 'icd10pcs-codes');
  records.push(...mergeTitles(parsed.get('icd9cm-dx-long') ?? [], parsed.get('icd9cm-dx-short') ?? []));
  records.push(...mergeTitles(parsed.get('icd9cm-sg-long') ?? [], parsed.get('icd9cm-sg-short') ?? []));
  const files = [...byFormat.values()].map((s) => path.basename(s.name));
  if (blocks && tabular) files.push(path.basename(tabular.name));
  files.push(...gemFiles);
  return { records, reports, warnings, files, blocks, gems };
}

/** Builds a store from sources in a temporary file, then makes it the active set. */
export async function buildAndActivate(storageDir: string, sources: SourceFile[], source: string, opts: InstallOptions = {}, ignored: string[] = []): Promise<InstallResult> {
  checkCancelled(opts.signal);
  opts.progress?.({ message: 'Reading code files' });
  const { records, reports, warnings, files, blocks, gems } = parseSources(sources, ignored);
  const counts: StoreMeta['counts'] = {};
  for (const r of records) {
    const c = (counts[r.system] ??= { codes: 0, billable: 0 });
    c.codes++;
    if (r.billable) c.billable++;
  }
  const meta: StoreMeta = { builtAt: new Date().toISOString(), source, files, counts, warnings, blocks: blocks ? Object.keys(blocks.titles).length : 0, gems: gems.length };
  const dir = icdDir(storageDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  removeAbandonedBuilds(dir);
  const stamp = `${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = path.join(dir, `codesets-${stamp}.sqlite.partial`);
  const final = path.join(dir, `codesets-${stamp}.sqlite`);
  opts.progress?.({ message: `Building the code-set database (${records.length.toLocaleString('en-US')} codes)` });
  try {
    await buildStore(tmp, records, meta, opts.signal, blocks, gems);
    checkCancelled(opts.signal);
    // check the new store opens before it becomes the active one
    await (await IcdStore.open(tmp)).close();
    fs.renameSync(tmp, final);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  const activeTmp = path.join(dir, `${ACTIVE}.${stamp}`);
  fs.writeFileSync(activeTmp, JSON.stringify({ file: path.basename(final) }), { mode: 0o600 });
  fs.renameSync(activeTmp, path.join(dir, ACTIVE));
  removeStale(dir, final);
  return { file: final, meta, reports };
}

/**
 * Removes databases other than the active one, and what abandoned builds left. A database
 * still open elsewhere stays readable there (POSIX) or stays on disk until the next install (Windows).
 */
function removeStale(dir: string, active: string): void {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (!/^codesets-.*\.sqlite$/.test(name) || p === active) continue;
    try {
      fs.rmSync(p, { force: true });
    } catch {
      /* still open on Windows */
    }
  }
  removeAbandonedBuilds(dir);
}

// what a build writes before it is complete; the process id is the second part of the stamp
const BUILD_LEFTOVER = /^(?:codesets-[0-9a-z]+-(\d+)-[0-9a-z]+\.sqlite\.partial|active\.json\.[0-9a-z]+-(\d+)-[0-9a-z]+)$/;

/**
 * Removes what builds killed midway (kill -9, a crash, a power cut) left behind: partial databases
 * of up to tens of MB and unfinished activation files. Those of a process still running (another
 * window's build, the CLI's) stay, unless a day old: by then the process id may be another's.
 */
export function removeAbandonedBuilds(dir: string): void {
  removeAbandonedPartials(
    dir,
    (name) => {
      const m = BUILD_LEFTOVER.exec(name);
      return m ? Number(m[1] ?? m[2]) : undefined;
    },
    { abandonedAfterMs: 24 * 3600 * 1000 },
  );
}

export async function installFromFolder(storageDir: string, folder: string, opts: InstallOptions = {}): Promise<InstallResult> {
  const { files, ignored } = scanFolder(folder);
  if (!files.length) {
    const what = ignored.length ? `only ${ignored.length} other file(s)` : 'no files';
    throw new EngineError(
      'missing-file',
      `The folder ${folder} has ${what} and no ICD code files (e.g. icd10cm_order_2027.txt, icd10pcs_order_2027.txt, CMS32_DESC_LONG_DX.txt).`,
    );
  }
  const sources = files.map((f) => ({ name: f.path, bytes: fs.readFileSync(f.path) }));
  return buildAndActivate(storageDir, sources, folder, opts, ignored);
}

function allowedUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new EngineError('bad-input', `"${raw}" is not a URL.`);
  }
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw new EngineError('bad-input', `Code sets are downloaded over https only; ${u.origin} is not.`);
  }
  return u;
}

/** Downloads one zip with progress, cancellation and size checks. */
export async function downloadZip(url: string, opts: InstallOptions & { label?: string; base?: number; share?: number } = {}): Promise<Buffer> {
  const u = allowedUrl(url);
  const label = opts.label ?? path.basename(u.pathname);
  let res: Response;
  try {
    res = await fetch(u, { signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    checkCancelled(opts.signal);
    throw new EngineError('missing-file', `Could not download ${label} from ${u.host}: ${(e as Error).message}. Check the connection, or use a local folder of the files.`);
  }
  allowedUrl(res.url || u.href);
  if (!res.ok || !res.body) throw new EngineError('missing-file', `Downloading ${label} failed: the server answered ${res.status} ${res.statusText}. Check the URL in the settings.`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > DOWNLOAD_LIMITS.maxBytes) throw new EngineError('bad-input', `${label} is ${Math.round(declared / 1e6)} MB, larger than any official code-set zip; not downloaded.`);
  const chunks: Buffer[] = [];
  let got = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.byteLength;
      if (got > DOWNLOAD_LIMITS.maxBytes) throw new EngineError('bad-input', `${label} is larger than any official code-set zip; the download was stopped.`);
      chunks.push(Buffer.from(value));
      if (Number.isFinite(declared) && declared > 0) {
        opts.progress?.({ message: `Downloading ${label}`, fraction: (opts.base ?? 0) + (opts.share ?? 1) * Math.min(1, got / declared) });
      }
    }
  } catch (e) {
    checkCancelled(opts.signal);
    if (e instanceof EngineError) throw e;
    throw new EngineError('missing-file', `Downloading ${label} was interrupted: ${(e as Error).message}.`);
  } finally {
    reader.releaseLock();
  }
  checkCancelled(opts.signal);
  if (Number.isFinite(declared) && got !== declared) throw new EngineError('bad-input', `${label} arrived incomplete (${got} of ${declared} bytes). Try again.`);
  if (got < DOWNLOAD_LIMITS.minBytes) throw new EngineError('bad-input', `${label} is only ${got} bytes: not a code-set zip. Check the URL in the settings.`);
  return Buffer.concat(chunks);
}

function unusableZip(label: string): RefuseZip {
  return (why) => new EngineError('bad-input', `${label} is not a usable zip file (${why}). The download may be incomplete; try again.`);
}

/**
 * Takes the code files out of a zip, inflating only those (the tabular zip also
 * holds large index files), and looks one level into zips inside it, as some
 * CMS releases nest them. Returns how many code files it found.
 */
async function collectCodeFiles(zip: Buffer, label: string, sources: SourceFile[], depth: number): Promise<number> {
  let found = 0;
  const entries = await readZipEntries(zip, unusableZip(label), (name) => formatOfFileName(name) !== undefined || isTabularFile(name) || isGemFile(name) || (depth > 0 && /\.zip$/i.test(name)));
  for (const e of entries) {
    if (/\.zip$/i.test(e.name)) found += await collectCodeFiles(e.data, `${label}/${e.name}`, sources, depth - 1);
    else {
      sources.push({ name: e.name, bytes: e.data });
      found++;
    }
  }
  return found;
}

/** Downloads each zip, takes the code files out of them and installs them together. */
export async function installFromUrls(storageDir: string, urls: string[], opts: InstallOptions = {}): Promise<InstallResult> {
  const list = urls.map((u) => u.trim()).filter(Boolean);
  if (!list.length) throw new EngineError('bad-input', 'No download URLs are set (clinicalModernbert.icd.downloadUrls).');
  const sources: SourceFile[] = [];
  for (let i = 0; i < list.length; i++) {
    const label = path.basename(allowedUrl(list[i]!).pathname) || list[i]!;
    const zip = await downloadZip(list[i]!, { ...opts, label, base: (i / list.length) * 0.8, share: 0.8 / list.length });
    const found = await collectCodeFiles(zip, label, sources, 1);
    if (!found) throw new EngineError('bad-input', `${label} holds no ICD code files. Is the URL one of the official code-set zips?`);
  }
  checkCancelled(opts.signal);
  // other members of the official zips (addenda, PDFs, index files) are expected: not worth a warning
  return buildAndActivate(storageDir, sources, list.join(' '), opts);
}
