import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../../src/engine/errors';
import { SeededRandom } from '../../src/engine/seededRandom';
import { readZipEntries, ZipArchive } from '../../src/engine/zipArchive';
import { writeZip } from '../zipWriter';

const refuse = (why: string) => new EngineError('bad-input', `archive.zip is not usable (${why})`);
const refusedFor = (re: RegExp) => (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && /^archive\.zip is not usable \(/.test(e.message) && re.test(e.message);

/** bytes deflate cannot shrink */
function noise(n: number): Buffer {
  const rng = new SeededRandom(7);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(rng.uniform() * 256)));
}

const members = [
  { name: 'codes/icd10cm_order_2027.txt', data: Buffer.from('A000    0 Cholera due to Vibrio cholerae 01, biovar cholerae\n'.repeat(200)) },
  { name: 'big.bin', data: noise(300_000) },
  { name: 'empty.txt', data: Buffer.alloc(0) },
];

function tempFile(name: string, data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-zip-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, data);
  return file;
}

test('reads every entry, deflated or stored, in memory or from a file, zip64 included', async () => {
  for (const options of [{}, { stored: true }, { zip64: true }]) {
    const zip = writeZip(members, options);
    const inMemory = await readZipEntries(zip, refuse);
    assert.deepEqual(inMemory, members, JSON.stringify(options));
    const archive = await ZipArchive.open(tempFile('archive.zip', zip), refuse);
    try {
      assert.deepEqual(archive.entries, members.map((m) => ({ name: m.name, size: m.data.length })));
      for (const [i, m] of archive.entries.entries()) assert.deepEqual(await archive.readEntry(m), members[i]!.data);
    } finally {
      archive.close();
    }
  }
});

test('only the entries asked for are read; folders are not entries', async () => {
  const zip = writeZip([{ name: 'docs/', data: Buffer.alloc(0) }, ...members]);
  assert.deepEqual((await ZipArchive.open(zip, refuse)).entries.map((e) => e.name), members.map((m) => m.name));
  const read = await readZipEntries(zip, refuse, (name) => name.endsWith('.txt'));
  assert.deepEqual(read.map((e) => e.name), ['codes/icd10cm_order_2027.txt', 'empty.txt']);
});

test('an entry whose bytes do not match its CRC-32 is refused, even where size and inflate cannot tell', async () => {
  // stored: the damaged entry has the right size, so only the CRC-32 can catch it
  const stored = writeZip(members, { stored: true, corrupt: 'big.bin' });
  await assert.rejects(readZipEntries(stored, refuse), refusedFor(/the entry big\.bin fails its checksum/));
  // the other entries still read
  const fine = await readZipEntries(stored, refuse, (name) => name !== 'big.bin');
  assert.equal(fine.length, 2);
  const deflated = writeZip(members, { corrupt: 'big.bin' });
  await assert.rejects(readZipEntries(deflated, refuse), refusedFor(/big\.bin (fails its checksum|cannot be inflated)/));
});

test('what is not a zip, a cut archive and a cut entry are refused with the reason', async () => {
  const zip = writeZip(members);
  await assert.rejects(ZipArchive.open(Buffer.from('<html>not found</html>'), refuse), refusedFor(/it does not start like a zip/));
  await assert.rejects(ZipArchive.open(Buffer.from('PK'), refuse), refusedFor(/it does not start like a zip/));
  await assert.rejects(ZipArchive.open(zip.subarray(0, zip.length - 10), refuse), refusedFor(/its directory is missing, so it is truncated/));
  await assert.rejects(ZipArchive.open(tempFile('cut.zip', zip.subarray(0, 3000)), refuse), refusedFor(/truncated/));
  // the directory intact, the first entry's data gone: the entry points past what is left
  const firstEnd = 30 + members[0]!.name.length;
  const holed = Buffer.concat([zip.subarray(0, firstEnd), zip.subarray(zip.length - 200)]);
  await assert.rejects(readZipEntries(holed, refuse), (e: unknown) => e instanceof EngineError && /is not usable/.test(e.message));
});

test('a read stopped half way leaves the file closable and the archive readable', async () => {
  const zip = writeZip(members, { stored: true });
  const archive = await ZipArchive.open(tempFile('archive.zip', zip), refuse);
  const big = archive.entries.find((e) => e.name === 'big.bin')!;
  const ac = new AbortController();
  let seen = 0;
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      ac.abort();
      done();
    },
  });
  await assert.rejects(pipeline(await archive.openEntry(big), sink, { signal: ac.signal }), { name: 'AbortError' });
  assert.ok(seen > 0 && seen < big.size, `${seen} bytes before the stop`);
  assert.deepEqual(await archive.readEntry(archive.entries[0]!), members[0]!.data);
  archive.close();
});
