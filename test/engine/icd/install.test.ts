import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { activeStoreFile, installFromFolder, installFromUrls, openActiveStore } from '../../../src/engine/icd/install';
import { readZipEntries } from '../../../src/engine/zipArchive';
import { EngineError } from '../../../src/engine/errors';
import { writeZip } from '../../zipWriter';
import { FIXTURES, RELEASE, tempDir } from './fixtures';

function releaseZip(): Buffer {
  const entries = fs.readdirSync(RELEASE).map((name) => ({ name: `Code Descriptions/${name}`, data: fs.readFileSync(path.join(RELEASE, name)) }));
  entries.push({ name: 'Code Descriptions/README.pdf', data: Buffer.from('%PDF-1.4 not a code file') });
  return writeZip(entries);
}

const isEngineError = (code: string, re: RegExp) => (e: unknown) => e instanceof EngineError && e.code === code && re.test(e.message);

async function lookupDescription(storageDir: string, code: string): Promise<string | undefined> {
  const store = await openActiveStore(storageDir);
  try {
    return (await store?.lookup([code]))?.get(code)?.[0]?.long;
  } finally {
    await store?.close();
  }
}

test('installing from a local folder builds and activates a store', async () => {
  const storage = tempDir('install');
  const progress: string[] = [];
  const r = await installFromFolder(storage, RELEASE, { progress: (p) => progress.push(p.message) });
  assert.deepEqual(r.meta.counts, {
    icd10cm: { codes: 27, billable: 13 },
    icd10pcs: { codes: 11, billable: 6 },
    'icd9cm-dx': { codes: 14, billable: 14 },
    'icd9cm-sg': { codes: 10, billable: 10 },
  });
  assert.deepEqual(r.meta.warnings, []);
  assert.equal(r.meta.blocks, 4);
  assert.ok(r.meta.files.includes('icd10cm_tabular_2027.xml'));
  assert.equal(activeStoreFile(storage), r.file);
  assert.ok(progress.some((m) => /Building the code-set database/.test(m)));
  assert.equal(await lookupDescription(storage, 'E8497'), 'Accidents occurring in residential institution');
  if (process.platform !== 'win32') assert.equal(fs.statSync(r.file).mode & 0o777, 0o600);
});

test('a folder: empty, only other files, unknown files beside code files, two forms of one system', async () => {
  const storage = tempDir('install');
  const empty = tempDir('empty');
  await assert.rejects(installFromFolder(storage, empty), isEngineError('missing-file', /has no files and no ICD code files/));
  fs.writeFileSync(path.join(empty, 'notes.docx'), 'x');
  await assert.rejects(installFromFolder(storage, empty), isEngineError('missing-file', /only 1 other file/));
  await assert.rejects(installFromFolder(storage, path.join(empty, 'nope')), isEngineError('missing-file', /does not exist/));

  const mixed = tempDir('mixed');
  fs.copyFileSync(path.join(RELEASE, 'icd10cm_order_2027.txt'), path.join(mixed, 'icd10cm_order_2027.txt'));
  fs.copyFileSync(path.join(FIXTURES, 'icd10cm_codes_2027.txt'), path.join(mixed, 'icd10cm_codes_2027.txt'));
  fs.writeFileSync(path.join(mixed, 'icd10cm_order_addenda_2027.txt'), 'changes');
  fs.writeFileSync(path.join(mixed, 'guidelines.pdf'), 'pdf');
  const r = await installFromFolder(storage, mixed);
  assert.equal(r.meta.counts.icd10cm?.codes, 27, 'the order file, with headers, wins over the codes file');
  assert.match(r.meta.warnings.join('\n'), /Ignored 2 file\(s\) that are not ICD code files: (guidelines\.pdf, icd10cm_order_addenda_2027\.txt|icd10cm_order_addenda_2027\.txt, guidelines\.pdf)/);
  assert.match(r.meta.warnings.join('\n'), /Both ICD-10-CM order file and ICD-10-CM codes file given/);
});

test('a failed install leaves the previous set active and usable', async () => {
  const storage = tempDir('install');
  const first = await installFromFolder(storage, RELEASE);
  const bad = tempDir('bad');
  fs.writeFileSync(path.join(bad, 'icd10cm_order_2028.txt'), 'this is not\nan order file\n');
  await assert.rejects(installFromFolder(storage, bad), isEngineError('bad-input', /2 of 2 lines are not in the ICD-10-CM order file format/));
  assert.equal(activeStoreFile(storage), first.file);
  assert.equal(await lookupDescription(storage, 'E119'), 'Type 2 diabetes mellitus without complications');
  assert.deepEqual(fs.readdirSync(path.dirname(first.file)).filter((f) => f.endsWith('.partial')), []);
});

test('cancelling while the database is built leaves no partial file and keeps the previous set', async () => {
  const storage = tempDir('install');
  const first = await installFromFolder(storage, RELEASE);
  const ac = new AbortController();
  await assert.rejects(
    installFromFolder(storage, RELEASE, { signal: ac.signal, progress: (p) => /Building/.test(p.message) && ac.abort() }),
    isEngineError('cancelled', /cancelled/),
  );
  assert.equal(activeStoreFile(storage), first.file);
  assert.deepEqual(fs.readdirSync(path.dirname(first.file)).sort(), ['active.json', path.basename(first.file)]);
});

/** the pid of a process that has ended: what a build killed with kill -9 leaves in its partial file's name */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('a build killed midway leaves a partial database that the next start removes', async () => {
  const storage = tempDir('install');
  const dir = path.join(storage, 'icd');
  fs.mkdirSync(dir, { recursive: true });
  const abandoned = path.join(dir, `codesets-lx0k2a-${deadPid()}-abc123.sqlite.partial`);
  const activeTmp = path.join(dir, `active.json.lx0k2a-${deadPid()}-abc123`);
  // another window's build, still running, is left alone
  const running = path.join(dir, `codesets-lx0k2b-${process.pid}-def456.sqlite.partial`);
  for (const f of [abandoned, activeTmp, running]) fs.writeFileSync(f, randomBytes(64));
  // the first start after the kill: no set is installed yet
  assert.equal(await openActiveStore(storage), undefined);
  assert.equal(fs.existsSync(abandoned), false);
  assert.equal(fs.existsSync(activeTmp), false);
  assert.equal(fs.existsSync(running), true);

  // the CLI's --codesets cache builds again at once: the build removes leftovers too
  fs.writeFileSync(abandoned, randomBytes(64));
  const r = await installFromFolder(storage, RELEASE);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['active.json', path.basename(r.file), path.basename(running)].sort());
});

test('a second install replaces the first and removes its database', async () => {
  const storage = tempDir('install');
  const first = await installFromFolder(storage, RELEASE);
  const onlyCodes = tempDir('codes');
  fs.copyFileSync(path.join(FIXTURES, 'icd10cm_codes_2027.txt'), path.join(onlyCodes, 'icd10cm_codes_2027.txt'));
  const second = await installFromFolder(storage, onlyCodes);
  assert.notEqual(second.file, first.file);
  assert.equal(fs.existsSync(first.file), false);
  assert.deepEqual(Object.keys(second.meta.counts), ['icd10cm']);
});

// --- downloads from a server on 127.0.0.1 ---

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes = new Map<string, Route>();
const server = http.createServer((req, res) => {
  const r = routes.get(req.url ?? '');
  if (r) r(req, res);
  else res.writeHead(404).end('not found');
});
const ready = new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const zip = releaseZip();
routes.set('/release.zip', (_q, res) => res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip));
routes.set('/truncated.zip', (_q, res) => {
  const cut = zip.subarray(0, Math.floor(zip.length * 0.6));
  res.writeHead(200, { 'content-length': cut.length }).end(cut);
});
routes.set('/cut-off.zip', (_q, res) => {
  res.writeHead(200, { 'content-length': zip.length });
  res.write(zip.subarray(0, 2000));
  setTimeout(() => res.destroy(), 20);
});
routes.set('/garbage.zip', (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>${'x'.repeat(5000)}</html>`));
routes.set('/nested.zip', (_q, res) => res.writeHead(200).end(writeZip([{ name: 'Zip File 3 2027 ICD-10-PCS Order File.zip', data: zip }, { name: 'notes.pdf', data: randomBytes(2000) }])));
routes.set('/redirect.zip', (_q, res) => res.writeHead(302, { location: '/release.zip' }).end());
routes.set('/tiny.zip', (_q, res) => res.writeHead(200).end('PK'));
routes.set('/no-codes.zip', (_q, res) => res.writeHead(200).end(writeZip([{ name: 'readme.txt', data: randomBytes(4000) }])));
routes.set('/slow.zip', (_q, res) => {
  res.writeHead(200, { 'content-length': zip.length });
  res.write(zip.subarray(0, 1000));
  // never finishes unless the client goes away
  const t = setInterval(() => res.write(Buffer.alloc(0)), 50);
  res.on('close', () => clearInterval(t));
});

test('zip reader: reads what the test zip holds, and rejects a cut archive', async () => {
  const refuse = (why: string) => new EngineError('bad-input', why);
  const entries = await readZipEntries(zip, refuse);
  assert.equal(entries.length, 12);
  assert.deepEqual(entries.find((e) => e.name.endsWith('CMS32_DESC_LONG_DX.txt'))!.data, fs.readFileSync(path.join(RELEASE, 'CMS32_DESC_LONG_DX.txt')));
  await assert.rejects(readZipEntries(zip.subarray(0, zip.length - 10), refuse), /truncated/);
  const flipped = Buffer.from(zip);
  const firstData = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  flipped[firstData + 3] = flipped[firstData + 3]! ^ 0xff;
  await assert.rejects(readZipEntries(flipped, refuse), /checksum|inflated|damaged/);
});

test('downloading the official zips installs them, with progress', async () => {
  const base = await ready;
  const storage = tempDir('download');
  const fractions: number[] = [];
  const r = await installFromUrls(storage, [`${base}/redirect.zip`], { progress: (p) => p.fraction !== undefined && fractions.push(p.fraction) });
  assert.equal(r.meta.counts.icd10cm?.codes, 27);
  assert.equal(r.meta.counts['icd9cm-sg']?.codes, 10);
  assert.deepEqual(r.meta.warnings, [], 'other members of an official zip (README.pdf) are expected');
  assert.ok(fractions.length > 0 && fractions.every((f) => f >= 0 && f <= 1));
  assert.equal(await lookupDescription(storage, '0DTJ4ZZ'), 'Resection of Appendix, Percutaneous Endoscopic Approach');
});

test('a zip inside the downloaded zip is opened too', async () => {
  const base = await ready;
  const storage = tempDir('download');
  const r = await installFromUrls(storage, [`${base}/nested.zip`]);
  assert.equal(r.meta.counts.icd10pcs?.codes, 11);
});

test('truncated, cut-off, garbage, tiny and wrong downloads never replace the active set', async () => {
  const base = await ready;
  const storage = tempDir('download');
  const first = await installFromFolder(storage, RELEASE);
  await assert.rejects(installFromUrls(storage, [`${base}/truncated.zip`]), isEngineError('bad-input', /truncated|cut off/));
  await assert.rejects(installFromUrls(storage, [`${base}/cut-off.zip`]), (e: unknown) => e instanceof EngineError && /interrupted|incomplete/.test(e.message));
  await assert.rejects(installFromUrls(storage, [`${base}/garbage.zip`]), isEngineError('bad-input', /does not start like a zip/));
  await assert.rejects(installFromUrls(storage, [`${base}/tiny.zip`]), isEngineError('bad-input', /only 2 bytes/));
  await assert.rejects(installFromUrls(storage, [`${base}/no-codes.zip`]), isEngineError('bad-input', /holds no ICD code files/));
  await assert.rejects(installFromUrls(storage, [`${base}/missing.zip`]), isEngineError('missing-file', /404/));
  // the good zip first, then a bad one: nothing of the batch is installed
  await assert.rejects(installFromUrls(storage, [`${base}/release.zip`, `${base}/garbage.zip`]), /does not start like a zip/);
  assert.equal(activeStoreFile(storage), first.file);
  assert.equal(await lookupDescription(storage, 'I10'), 'Essential (primary) hypertension');
});

test('a download can be cancelled, and the previous set stays', async () => {
  const base = await ready;
  const storage = tempDir('download');
  const first = await installFromFolder(storage, RELEASE);
  const ac = new AbortController();
  const p = installFromUrls(storage, [`${base}/slow.zip`], { signal: ac.signal, progress: () => ac.abort() });
  await assert.rejects(p, isEngineError('cancelled', /cancelled/));
  assert.equal(activeStoreFile(storage), first.file);
});

test('only https is allowed, except on this machine', async () => {
  const storage = tempDir('download');
  await assert.rejects(installFromUrls(storage, ['http://example.org/codes.zip']), isEngineError('bad-input', /https only/));
  await assert.rejects(installFromUrls(storage, ['not a url']), isEngineError('bad-input', /is not a URL/));
  await assert.rejects(installFromUrls(storage, ['  ']), isEngineError('bad-input', /No download URLs/));
});
