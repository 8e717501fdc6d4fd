/**
 * Zip archives the engine reads: the CMS code-set releases (in memory, zips
 * inside zips) and the CUDA provider's .nupkg (hundreds of MB on disk, zip64).
 *
 * yauzl reads the central directory (zip64 too) and inflates. It does not check
 * CRC-32 (its README, "No CRC-32 Checking"), so every entry read here passes
 * through a size and CRC-32 check that fails the stream at its last byte. Its
 * messages are a programmer's; they are turned into short reasons that the
 * caller puts into its own one-line error (naming the archive and the entry,
 * never their content).
 */
import * as fs from 'node:fs';
import { type Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import * as yauzl from 'yauzl';
import type { EngineError } from './errors';

/** The caller's one-line error for an archive it cannot use, given the reason. */
export type RefuseZip = (why: string) => EngineError;

export interface ZipMember {
  /** path inside the archive, forward slashes */
  readonly name: string;
  /** bytes once unpacked, as the directory declares them (and as reading enforces) */
  readonly size: number;
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const OPTIONS: yauzl.Options = { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false };

/** yauzl's reasons, in words for the user; the first that matches wins. */
const REASONS: Array<[RegExp, (entry: string) => string]> = [
  [/end of central directory record signature not found|invalid comment length/i, () => 'its directory is missing, so it is truncated'],
  [/zip64/i, () => 'its zip64 directory is damaged'],
  [/multi-disk/i, () => 'it is split over several disks'],
  [/local file header|unexpected EOF/i, (entry) => `the entry ${entry} is damaged`],
  [/overflows file bounds/i, (entry) => `the entry ${entry} is cut off`],
  [/too many bytes|not enough bytes/i, (entry) => `the entry ${entry} fails its checksum`],
  [/encrypt/i, (entry) => `${entry} is encrypted`],
];

function reasonFor(e: unknown, entry: string): string {
  const message = e instanceof Error ? e.message : String(e);
  for (const [re, why] of REASONS) if (re.test(message)) return why(entry);
  // zlib's own errors (Z_DATA_ERROR...) say what is wrong with the compressed bytes
  if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) return `the entry ${entry} cannot be inflated: ${message}`;
  return entry ? `the entry ${entry} is damaged` : 'its directory is damaged';
}

type Crc32 = (data: Uint8Array, value?: number) => number;
/**
 * zlib.crc32 (Node 20.15+, native, with a running value) where there; the
 * table below only for older Node 20 running the CLI: VS Code's Node has it.
 */
const crc32: Crc32 =
  (zlib as unknown as { crc32?: Crc32 }).crc32 ??
  (() => {
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    return (data: Uint8Array, value = 0) => {
      let c = ~value;
      for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
      return ~c >>> 0;
    };
  })();

function startsLikeZip(source: string | Buffer): boolean {
  let head: Buffer = Buffer.alloc(0);
  if (typeof source !== 'string') head = source;
  else {
    const fd = fs.openSync(source, 'r');
    try {
      head = Buffer.alloc(4);
      head = head.subarray(0, fs.readSync(fd, head, 0, 4, 0));
    } finally {
      fs.closeSync(fd);
    }
  }
  return head.length >= 4 && head.readUInt32LE(0) === LOCAL_HEADER_SIGNATURE;
}

export class ZipArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly members: Map<ZipMember, yauzl.Entry>,
    private readonly refuse: RefuseZip,
  ) {}

  /** Opens a zip file on disk (`source` a path) or in memory; its directory is read, no entry is. */
  static async open(source: string | Buffer, refuse: RefuseZip): Promise<ZipArchive> {
    // a download that is an HTML error page is told apart from a cut archive
    if (!startsLikeZip(source)) throw refuse('it does not start like a zip');
    let zip: yauzl.ZipFile | undefined;
    try {
      zip = typeof source === 'string' ? await yauzl.openPromise(source, OPTIONS) : await yauzl.fromBufferPromise(source, OPTIONS);
      const members = new Map<ZipMember, yauzl.Entry>();
      for await (const entry of zip.eachEntry()) {
        if (!entry.fileName.endsWith('/')) members.set({ name: entry.fileName, size: entry.uncompressedSize }, entry);
      }
      return new ZipArchive(zip, members, refuse);
    } catch (e) {
      zip?.close();
      throw refuse(reasonFor(e, ''));
    }
  }

  /** The files it holds (folders left out), in directory order. */
  get entries(): ZipMember[] {
    return [...this.members.keys()];
  }

  /**
   * The entry's bytes, unpacked. The stream fails with the caller's error when
   * they do not match the declared size and CRC-32; destroying it stops the read.
   */
  async openEntry(member: ZipMember): Promise<Readable> {
    const entry = this.members.get(member);
    if (!entry) throw new Error(`${member.name} is not an entry of this archive`);
    if (entry.isEncrypted()) throw this.refuse(`${member.name} is encrypted`);
    if (!entry.canDecodeFileData()) throw this.refuse(`the entry ${member.name} uses compression method ${entry.compressionMethod}`);
    let source: Readable;
    try {
      source = await this.zip.openReadStreamPromise(entry);
    } catch (e) {
      throw this.refuse(reasonFor(e, member.name));
    }
    const refuse = this.refuse;
    let crc = 0;
    let bytes = 0;
    const checked = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        crc = crc32(chunk, crc);
        bytes += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        done(bytes === entry.uncompressedSize && crc >>> 0 === entry.crc32 ? null : refuse(`the entry ${member.name} fails its checksum`));
      },
    });
    source.on('error', (e) => checked.destroy(refuse(reasonFor(e, member.name))));
    // yauzl asks that its stream be unpiped before it is destroyed
    checked.on('close', () => {
      if (!source.readableEnded) {
        source.unpipe(checked);
        source.destroy();
      }
    });
    return source.pipe(checked);
  }

  /** A whole entry in memory, checked as openEntry checks it. */
  async readEntry(member: ZipMember): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.openEntry(member)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Closes the file once the entries being read are done (nothing to do for one in memory). */
  close(): void {
    this.zip.close();
  }
}

/** The entries `want` accepts (all when omitted), each in memory: for small archives read whole. */
export async function readZipEntries(buf: Buffer, refuse: RefuseZip, want?: (name: string) => boolean): Promise<Array<{ name: string; data: Buffer }>> {
  const zip = await ZipArchive.open(buf, refuse);
  const out: Array<{ name: string; data: Buffer }> = [];
  for (const member of zip.entries) {
    if (!want || want(member.name)) out.push({ name: member.name, data: await zip.readEntry(member) });
  }
  return out;
}
