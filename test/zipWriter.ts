/**
 * Writes zip archives for tests: the CMS release zips the ICD installer reads,
 * the .nupkg the CUDA set-up reads (zip64 records as large packages have), and
 * damaged ones. Written by hand: the fixtures are built synchronously at module
 * load, with zip64 records on small files and an entry damaged after its
 * CRC-32 is computed, none of which a zip writer package offers.
 */
import * as zlib from 'node:zlib';

export interface ZipWriteOptions {
  /** write zip64 records (sizes and offsets in the zip64 extra field, a zip64 end record) */
  zip64?: boolean;
  /** store entries as they are instead of deflating them */
  stored?: boolean;
  /** the entry whose stored bytes are damaged after its CRC-32 is computed */
  corrupt?: string;
}

const crc32 = (zlib as unknown as { crc32(data: Uint8Array): number }).crc32;

export function writeZip(entries: Array<{ name: string; data: Buffer }>, o: ZipWriteOptions = {}): Buffer {
  const zip64 = o.zip64 === true;
  const method = o.stored ? 0 : 8;
  const version = zip64 ? 45 : 20;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    let comp = o.stored ? Buffer.from(e.data) : zlib.deflateRawSync(e.data);
    const crc = crc32(e.data);
    if (e.name === o.corrupt) {
      comp = Buffer.from(comp);
      comp[Math.floor(comp.length / 2)] ^= 0x55;
    }
    const name = Buffer.from(e.name, 'utf8');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(version, 4);
    lh.writeUInt16LE(0x800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    const extra = zip64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(e.data.length), 4);
      extra.writeBigUInt64LE(BigInt(comp.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(version, 4);
    ch.writeUInt16LE(version, 6);
    ch.writeUInt16LE(0x800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(zip64 ? 0xffffffff : comp.length, 20);
    ch.writeUInt32LE(zip64 ? 0xffffffff : e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(extra.length, 30);
    ch.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    parts.push(lh, name, comp);
    central.push(ch, name, extra);
    offset += lh.length + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, cd, ...tail, end]);
}
