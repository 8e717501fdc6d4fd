/**
 * Minimal ELF64 shared-object files for the GPU tests: a header, a .dynstr
 * and a .dynamic section (DT_NEEDED, DT_SONAME, DT_RUNPATH), and no code or
 * program headers, so the dynamic loader refuses them with an error instead
 * of running anything.
 */
export interface FakeElfOptions {
  needed?: string[];
  soname?: string;
  runpath?: string;
  /** e_machine: 62 x86-64 (default), 183 aarch64 */
  machine?: number;
}

export function fakeSharedLibrary(o: FakeElfOptions = {}): Buffer {
  const strings: string[] = [''];
  const offsets = new Map<string, number>();
  let strSize = 1;
  const str = (s: string) => {
    if (!offsets.has(s)) {
      offsets.set(s, strSize);
      strings.push(s);
      strSize += Buffer.byteLength(s) + 1;
    }
    return offsets.get(s)!;
  };
  const dyn: Array<[number, number]> = [];
  for (const n of o.needed ?? []) dyn.push([1, str(n)]);
  if (o.soname) dyn.push([14, str(o.soname)]);
  if (o.runpath) dyn.push([29, str(o.runpath)]);
  dyn.push([0, 0]);
  const dynstr = Buffer.from(strings.map((s) => s + '\0').join(''));
  const dynamic = Buffer.alloc(dyn.length * 16);
  dyn.forEach(([tag, val], i) => {
    dynamic.writeBigInt64LE(BigInt(tag), i * 16);
    dynamic.writeBigUInt64LE(BigInt(val), i * 16 + 8);
  });
  const strOff = 64;
  const dynOff = strOff + dynstr.length + ((8 - (dynstr.length % 8)) % 8);
  const shOff = dynOff + dynamic.length;
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(3, 16); // ET_DYN
  header.writeUInt16LE(o.machine ?? 62, 18);
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(BigInt(shOff), 0x28);
  header.writeUInt16LE(64, 0x34);
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(0, 0x38);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(3, 0x3c);
  header.writeUInt16LE(0, 0x3e);
  const section = (type: number, offset: number, size: number, link: number) => {
    const s = Buffer.alloc(64);
    s.writeUInt32LE(type, 4);
    s.writeBigUInt64LE(BigInt(offset), 0x18);
    s.writeBigUInt64LE(BigInt(size), 0x20);
    s.writeUInt32LE(link, 0x28);
    return s;
  };
  const pad = Buffer.alloc(dynOff - strOff - dynstr.length);
  return Buffer.concat([header, dynstr, pad, dynamic, section(0, 0, 0, 0), section(3, strOff, dynstr.length, 0), section(6, dynOff, dynamic.length, 1)]);
}
