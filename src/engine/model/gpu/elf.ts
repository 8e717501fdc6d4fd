/**
 * Reads the dynamic section of an ELF shared library: the libraries it needs
 * (DT_NEEDED), its own soname and its run path. That is how the diagnosis
 * knows which CUDA major version and which cuDNN a provider library was built
 * against, instead of guessing from a version number. Only the headers and
 * the dynamic section are read, never the (hundreds of MB) code.
 */
import * as fs from 'node:fs';

export interface ElfDynamic {
  /** e_machine: 62 x86-64, 183 aarch64 */
  machine: number;
  is64: boolean;
  needed: string[];
  soname?: string;
  runpath: string[];
}

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const SHT_DYNAMIC = 6;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = fs.readSync(fd, b, 0, length, offset);
  if (n !== length) throw new Error('truncated');
  return b;
}

/** The dynamic section of `file`, or undefined when it is not a little-endian ELF shared object (or is damaged). */
export function readElfDynamic(file: string): ElfDynamic | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const h = readAt(fd, 0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[5] !== 1) return undefined; // "\x7fELF", little-endian
    const is64 = h[4] === 2;
    const machine = h.readUInt16LE(18);
    const num = (b: Buffer, off: number) => (is64 ? Number(b.readBigUInt64LE(off)) : b.readUInt32LE(off));
    const shoff = num(h, is64 ? 0x28 : 0x20);
    const shentsize = h.readUInt16LE(is64 ? 0x3a : 0x2e);
    const shnum = h.readUInt16LE(is64 ? 0x3c : 0x30);
    if (!shoff || !shnum || shentsize < (is64 ? 64 : 40) || shnum > 65_000) return { machine, is64, needed: [], runpath: [] };
    const sections = readAt(fd, shoff, shentsize * shnum);
    const section = (i: number) => {
      const o = i * shentsize;
      return {
        type: sections.readUInt32LE(o + 4),
        offset: num(sections, o + (is64 ? 0x18 : 0x10)),
        size: num(sections, o + (is64 ? 0x20 : 0x14)),
        link: sections.readUInt32LE(o + (is64 ? 0x28 : 0x18)),
      };
    };
    for (let i = 0; i < shnum; i++) {
      const dyn = section(i);
      if (dyn.type !== SHT_DYNAMIC) continue;
      if (dyn.link >= shnum || dyn.size > 1 << 20) return undefined;
      const strtab = section(dyn.link);
      if (strtab.size > 64 << 20) return undefined;
      const strings = readAt(fd, strtab.offset, strtab.size);
      const str = (off: number) => {
        const end = strings.indexOf(0, off);
        return strings.toString('utf8', off, end < 0 ? strings.length : end);
      };
      const entries = readAt(fd, dyn.offset, dyn.size);
      const step = is64 ? 16 : 8;
      const out: ElfDynamic = { machine, is64, needed: [], runpath: [] };
      for (let o = 0; o + step <= entries.length; o += step) {
        const tag = is64 ? Number(entries.readBigInt64LE(o)) : entries.readInt32LE(o);
        const val = is64 ? Number(entries.readBigUInt64LE(o + 8)) : entries.readUInt32LE(o + 4);
        if (tag === DT_NULL) break;
        if (tag === DT_NEEDED) out.needed.push(str(val));
        else if (tag === DT_SONAME) out.soname = str(val);
        else if (tag === DT_RUNPATH || tag === DT_RPATH) out.runpath.push(...str(val).split(':').filter(Boolean));
      }
      return out;
    }
    return { machine, is64, needed: [], runpath: [] };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
