/**
 * Dot products of one int8 query against many int8 vectors, in WebAssembly
 * SIMD (about 8x a scalar JavaScript loop; Node 20 and VS Code's Electron have
 * SIMD on by default). The module is a few hundred bytes, assembled here so the
 * project ships no opaque binary. A scalar fallback keeps the same results
 * where SIMD is missing.
 */

// the project's lib setting (ES2022, no DOM) has no WebAssembly types: the few used here
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly __wasmModule: unique symbol;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (mod: WasmModule, imports: object) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface Int8DotKernel {
  /** bytes per vector: dims rounded up to a multiple of 16 */
  readonly stride: number;
  /** how many vectors fit now */
  capacity(): number;
  /** makes room for `n` vectors, keeping those stored */
  reserve(n: number): void;
  /** the int8 storage of vector `slot` (stride bytes, zero-padded) */
  slot(slot: number): Int8Array;
  /** copies vector `from` over vector `to` */
  move(from: number, to: number): void;
  /** integer dot products of q (stride bytes) with vectors [0, n) */
  dots(q: Int8Array, n: number): Int32Array;
  readonly simd: boolean;
}

// prettier-ignore
function moduleBytes(): Uint8Array {
  const I32 = 0x7f, V128 = 0x7b;
  const simd = (op: number, ...rest: number[]) => [0xfd, ...leb(op), ...rest];
  const get = (i: number) => [0x20, i], set = (i: number) => [0x21, i], tee = (i: number) => [0x22, i];
  const i32c = (v: number) => [0x41, ...sleb(v)];
  // params: q 0, base 1, n 2, d 3, out 4; locals: i 5, j 6, p 7, acc 8, a 9, b 10
  const body = [
    0x02, 0x40, // block $done
    ...get(2), 0x45, 0x0d, 0, // n == 0: done
    0x03, 0x40, // loop $outer
    ...get(1), ...get(5), ...get(3), 0x6c, 0x6a, ...set(7), // p = base + i*d
    ...simd(0x0c, ...new Array(16).fill(0)), ...set(8), // acc = 0
    ...i32c(0), ...set(6), // j = 0
    0x03, 0x40, // loop $inner
    ...get(7), ...get(6), 0x6a, ...simd(0x00, 4, 0), ...set(9), // a = load(p + j)
    ...get(0), ...get(6), 0x6a, ...simd(0x00, 4, 0), ...set(10), // b = load(q + j)
    ...get(8),
    ...get(9), ...simd(0x87), ...get(10), ...simd(0x87), ...simd(0xba), ...simd(0xae), // acc += dot(low a, low b)
    ...get(9), ...simd(0x88), ...get(10), ...simd(0x88), ...simd(0xba), ...simd(0xae), // acc += dot(high a, high b)
    ...set(8),
    ...get(6), ...i32c(16), 0x6a, ...tee(6), ...get(3), 0x48, 0x0d, 0, // j += 16; j < d: again
    0x0b, // end inner
    ...get(4), ...get(5), ...i32c(4), 0x6c, 0x6a, // &out[i]
    ...get(8), ...simd(0x1b, 0), ...get(8), ...simd(0x1b, 1), 0x6a, ...get(8), ...simd(0x1b, 2), 0x6a, ...get(8), ...simd(0x1b, 3), 0x6a,
    0x36, 2, 0, // i32.store
    ...get(5), ...i32c(1), 0x6a, ...tee(5), ...get(2), 0x48, 0x0d, 0, // i += 1; i < n: again
    0x0b, // end outer
    0x0b, // end block
    0x0b, // end function
  ];
  const locals = [2, 3, I32, 3, V128];
  const code = [...leb(locals.length + body.length), ...locals, ...body];
  const section = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type: (i32 x5) -> ()
    ...section(3, [1, 0]), // one function of type 0
    ...section(5, [1, 0x00, 1]), // memory, min 1 page
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('dots'), 0x00, 0]),
    ...section(10, [1, ...code]),
  ]);
}

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      const bytes = moduleBytes();
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;

export function createInt8DotKernel(dims: number, opts: { simd?: boolean } = {}): Int8DotKernel {
  const stride = Math.max(16, Math.ceil(dims / 16) * 16);
  const mod = opts.simd === false ? null : simdModule();
  return mod ? new SimdKernel(mod, stride) : new ScalarKernel(stride);
}

class SimdKernel implements Int8DotKernel {
  readonly simd = true;
  private readonly memory: WasmMemory;
  private readonly fn: (q: number, base: number, n: number, d: number, out: number) => void;
  private cap = 0;
  /** layout: query at 0, vectors from `base`, scores after the vectors */
  private readonly base: number;

  constructor(mod: WasmModule, readonly stride: number) {
    const inst = new WebAssembly.Instance(mod, {});
    this.memory = inst.exports.memory as WasmMemory;
    this.fn = inst.exports.dots as SimdKernel['fn'];
    this.base = Math.ceil(stride / 64) * 64;
  }

  capacity(): number {
    return this.cap;
  }

  reserve(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 1024);
    const need = this.base + cap * this.stride + cap * 4;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    this.cap = cap;
  }

  slot(s: number): Int8Array {
    return new Int8Array(this.memory.buffer, this.base + s * this.stride, this.stride);
  }

  move(from: number, to: number): void {
    const m = new Int8Array(this.memory.buffer);
    m.copyWithin(this.base + to * this.stride, this.base + from * this.stride, this.base + (from + 1) * this.stride);
  }

  dots(q: Int8Array, n: number): Int32Array {
    const out = this.base + this.cap * this.stride;
    new Int8Array(this.memory.buffer, 0, this.stride).set(q.subarray(0, this.stride));
    if (n > 0) this.fn(0, this.base, n, this.stride, out);
    return new Int32Array(this.memory.buffer, out, n).slice();
  }
}

class ScalarKernel implements Int8DotKernel {
  readonly simd = false;
  private codes = new Int8Array(0);
  private cap = 0;

  constructor(readonly stride: number) {}

  capacity(): number {
    return this.cap;
  }

  reserve(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 1024);
    const next = new Int8Array(cap * this.stride);
    next.set(this.codes);
    this.codes = next;
    this.cap = cap;
  }

  slot(s: number): Int8Array {
    return this.codes.subarray(s * this.stride, (s + 1) * this.stride);
  }

  move(from: number, to: number): void {
    this.codes.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
  }

  dots(q: Int8Array, n: number): Int32Array {
    const out = new Int32Array(n);
    const c = this.codes;
    const d = this.stride;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const o = i * d;
      for (let j = 0; j < d; j++) s += c[o + j] * q[j];
      out[i] = s;
    }
    return out;
  }
}
