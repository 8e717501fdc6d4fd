/**
 * Reads back the nodes, initializer types and metadata of an ONNX file: enough to
 * see which kernels onnxruntime fused (its optimized-model output) and which
 * precision a converted file holds, without a protobuf library.
 */
import { readFileSync } from 'node:fs';

export interface OnnxNodeSummary {
  opType: string;
  /** '' for the standard ONNX domain, 'com.microsoft' for onnxruntime's contrib ops */
  domain: string;
  inputs: string[];
  outputs: string[];
}

export interface OnnxFileSummary {
  nodes: OnnxNodeSummary[];
  /** initializer name -> ONNX data type (1 float, 3 int8, 10 float16, ...) */
  initializerTypes: Map<string, number>;
  metadata: Record<string, string>;
}

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      // fields read here (tags, lengths, small enums) fit in a double; high bits of large int64s are dropped
      if (shift < 53) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return result;
    }
  }

  /** calls `field` for each (number, wire type) until the end; returns nothing */
  fields(field: (no: number, wire: number, r: Reader) => void): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      const no = Math.floor(tag / 8);
      const wire = tag & 7;
      const before = this.pos;
      field(no, wire, this);
      if (this.pos === before) this.skip(wire);
    }
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else if (wire === 2) {
      // read the length first: `this.pos += this.varint()` would add it to the position before the length
      const len = this.varint();
      this.pos += len;
    }
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }

  sub(): Reader {
    const len = this.varint();
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  string(): string {
    const r = this.sub();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + r.pos, r.end - r.pos).toString('utf8');
  }
}

export function readOnnxSummary(path: string): OnnxFileSummary {
  const buf = readFileSync(path);
  const nodes: OnnxNodeSummary[] = [];
  const initializerTypes = new Map<string, number>();
  const metadata: Record<string, string> = {};
  new Reader(buf).fields((no, wire, r) => {
    if (no === 7 && wire === 2) {
      r.sub().fields((gno, gwire, g) => {
        if (gno === 1 && gwire === 2) {
          const node: OnnxNodeSummary = { opType: '', domain: '', inputs: [], outputs: [] };
          g.sub().fields((nno, nwire, n) => {
            if (nwire !== 2) return;
            if (nno === 1) node.inputs.push(n.string());
            else if (nno === 2) node.outputs.push(n.string());
            else if (nno === 4) node.opType = n.string();
            else if (nno === 7) node.domain = n.string();
          });
          nodes.push(node);
        } else if (gno === 5 && gwire === 2) {
          let name = '';
          let type = 0;
          g.sub().fields((tno, twire, t) => {
            if (tno === 2 && twire === 0) type = t.varint();
            else if (tno === 8 && twire === 2) name = t.string();
          });
          initializerTypes.set(name, type);
        }
      });
    } else if (no === 14 && wire === 2) {
      let key = '';
      let value = '';
      r.sub().fields((mno, mwire, m) => {
        if (mno === 1 && mwire === 2) key = m.string();
        else if (mno === 2 && mwire === 2) value = m.string();
      });
      metadata[key] = value;
    }
  });
  return { nodes, initializerTypes, metadata };
}

/** op type counts, contrib ops prefixed with their domain: { 'com.microsoft.SkipLayerNormalization': 22, MatMul: 44 } */
export function opCounts(nodes: readonly OnnxNodeSummary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of nodes) {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
