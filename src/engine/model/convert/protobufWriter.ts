/**
 * Just enough protocol-buffer encoding to write an ONNX model. A message is a
 * list of byte parts with a known total length; large tensor bytes are parts
 * that point at existing memory (or are produced on demand), so a 550 MB
 * model is streamed to disk without being assembled in one buffer.
 */

export interface LazyBytes {
  byteLength: number;
  make(): Uint8Array;
}
export type Part = Uint8Array | LazyBytes;

const enum Wire {
  Varint = 0,
  Fixed32 = 5,
  LengthDelimited = 2,
}

function varintBytes(value: bigint): Uint8Array {
  // negative int64 values are encoded as their 64-bit two's complement (10 bytes)
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

function smallVarint(value: number): Uint8Array {
  return varintBytes(BigInt(value));
}

export class ProtoMessage {
  readonly parts: Part[] = [];
  byteLength = 0;

  private push(p: Part): void {
    this.parts.push(p);
    this.byteLength += p.byteLength;
  }

  private tag(field: number, wire: Wire): void {
    this.push(smallVarint((field << 3) | wire));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, Wire.Varint);
    this.push(varintBytes(BigInt(value)));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, Wire.Fixed32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, data: Part): this {
    this.tag(field, Wire.LengthDelimited);
    this.push(smallVarint(data.byteLength));
    this.push(data);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, m: ProtoMessage): this {
    this.tag(field, Wire.LengthDelimited);
    this.push(smallVarint(m.byteLength));
    for (const p of m.parts) this.push(p);
    return this;
  }
}
