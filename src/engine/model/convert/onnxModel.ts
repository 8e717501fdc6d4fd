/**
 * The ONNX messages the converter writes (field numbers from onnx.proto):
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw_data),
 * ValueInfoProto with symbolic dimensions.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { ProtoMessage, type Part } from './protobufWriter';

export const enum OnnxDataType {
  Float = 1,
  Uint8 = 2,
  Int8 = 3,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
}

/** onnxruntime's contrib operators (fused attention, SkipLayerNormalization, quantized MatMul) */
export const msDomain = 'com.microsoft';

export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, AttributeValue>;
  /** '' (or absent): the standard ONNX domain */
  domain?: string;
}

export interface OnnxInitializer {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  /** little-endian bytes of the tensor */
  raw: Part;
}

export interface OnnxValueInfo {
  name: string;
  dataType: OnnxDataType;
  /** numbers are fixed sizes, strings are symbolic (dynamic) dimensions */
  dims: Array<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelMeta {
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

export const irVersion = 8;
export const opsetVersion = 17;

const enum AttrType {
  Float = 1,
  Int = 2,
  String = 3,
  Floats = 6,
  Ints = 7,
}

function encodeAttribute(name: string, v: AttributeValue): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use { float } for non-integers`);
    m.int(3, v).int(20, AttrType.Int);
  } else if (typeof v === 'string') {
    m.string(4, v).int(20, AttrType.String);
  } else if (Array.isArray(v)) {
    for (const x of v) m.int(8, x);
    m.int(20, AttrType.Ints);
  } else if ('float' in v) {
    m.float(2, v.float).int(20, AttrType.Float);
  } else {
    for (const x of v.floats) m.float(7, x);
    m.int(20, AttrType.Floats);
  }
  return m;
}

function encodeNode(n: OnnxNode): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  m.string(3, n.name).string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes)) m.message(5, encodeAttribute(k, v));
  if (n.domain) m.string(7, n.domain);
  return m;
}

function encodeTensor(t: OnnxInitializer): ProtoMessage {
  const m = new ProtoMessage();
  for (const d of t.dims) m.int(1, d);
  m.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
  return m;
}

function encodeValueInfo(v: OnnxValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    const dim = new ProtoMessage();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoMessage().int(1, v.dataType).message(2, shape);
  const type = new ProtoMessage().message(1, tensorType);
  return new ProtoMessage().string(1, v.name).message(2, type);
}

export function encodeModel(g: OnnxGraph, meta: OnnxModelMeta): ProtoMessage {
  const graph = new ProtoMessage();
  for (const n of g.nodes) graph.message(1, encodeNode(n));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, encodeTensor(t));
  for (const i of g.inputs) graph.message(11, encodeValueInfo(i));
  for (const o of g.outputs) graph.message(12, encodeValueInfo(o));

  const model = new ProtoMessage().int(1, irVersion);
  model.string(2, meta.producerName).string(3, meta.producerVersion);
  model.string(6, meta.docString);
  model.message(7, graph);
  model.message(8, new ProtoMessage().string(1, '').int(2, opsetVersion));
  if (g.nodes.some((n) => n.domain === msDomain)) model.message(8, new ProtoMessage().string(1, msDomain).int(2, 1));
  for (const [k, v] of Object.entries(meta.metadata)) model.message(14, new ProtoMessage().string(1, k).string(2, v));
  return model;
}

/**
 * Streams an encoded message to a file. Lazy parts are produced one at a
 * time and dropped after writing; onBytes reports progress.
 */
export function writeMessage(
  path: string,
  m: ProtoMessage,
  onBytes?: (written: number, total: number) => void,
  signal?: AbortSignal,
  write: (fd: number, bytes: Uint8Array) => void = (fd, bytes) => void writeSync(fd, bytes),
): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    let reported = 0;
    // coalesce the many tiny tag/length parts into larger writes
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (!pendingBytes) return;
      write(fd, Buffer.concat(pending, pendingBytes));
      pending.length = 0;
      pendingBytes = 0;
    };
    for (const p of m.parts) {
      const bytes = p instanceof Uint8Array ? p : p.make();
      if (bytes.byteLength !== p.byteLength) throw new Error('protobuf part changed size while writing');
      if (bytes.byteLength >= 1 << 16) {
        flush();
        write(fd, bytes);
      } else {
        pending.push(bytes);
        pendingBytes += bytes.byteLength;
        if (pendingBytes >= 1 << 20) flush();
      }
      written += bytes.byteLength;
      if (written - reported >= 8 << 20) {
        signal?.throwIfAborted();
        reported = written;
        onBytes?.(written, m.byteLength);
      }
    }
    flush();
    onBytes?.(m.byteLength, m.byteLength);
  } finally {
    closeSync(fd);
  }
}
