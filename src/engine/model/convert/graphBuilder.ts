/**
 * A small DSL for building ONNX graphs: each op returns the name of its
 * output, so architecture code reads like the forward pass it mirrors.
 */
import type { AttributeValue, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from './onnxModel';
import { msDomain, OnnxDataType } from './onnxModel';
import type { Part } from './protobufWriter';
import { float16Bytes, float16Max } from './float16';
import { EngineError } from '../../errors';

export type Value = string;

/** The float type of weights and activations: float32, or float16 for GPU providers. */
export type FloatType = OnnxDataType.Float | OnnxDataType.Float16;

/** float32 bytes without copying the underlying memory */
function floatBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxInitializer[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();
  private counter = 0;
  /** prefix for generated names, so a node's name says which layer it belongs to */
  scope = '';
  /**
   * The type weights are stored in and activations flow in. Float16 weights are
   * converted while the file is written; float32 islands (masks, rotary tables,
   * softmax) use weight32/scalar32 and toFloat32/toFloatType.
   */
  floatType: FloatType = OnnxDataType.Float;

  private fresh(base: string): string {
    const stem = this.scope ? `${this.scope}/${base}` : base;
    let name = stem;
    while (this.used.has(name)) name = `${stem}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dataType: OnnxDataType, dims: Array<number | string>): Value {
    this.used.add(name);
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /** marks `value` as a graph output named `name` (through Identity when the names differ) */
  output(value: Value, name: string, dataType: OnnxDataType, dims: Array<number | string>): void {
    if (value !== name) {
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], name: `${name}/Identity`, attributes: {} });
    }
    this.outputs.push({ name, dataType, dims });
  }

  /** a weight in floatType; the array is referenced, not copied (float16: converted as it is written) */
  weight(name: string, data: Float32Array, dims: number[]): Value {
    if (this.floatType === OnnxDataType.Float) return this.weight32(name, data, dims);
    const big = data.findIndex((v) => Math.abs(v) > float16Max);
    if (big >= 0) {
      throw new EngineError('unsupported-model', `The weight "${name}" holds ${data[big]}, beyond float16's range (65504); use precision fp32 or int8 for this checkpoint.`);
    }
    return this.initializer(name, OnnxDataType.Float16, dims, float16Bytes(data));
  }

  /** a float32 weight whatever floatType is (masks, rotary tables, quantization scales) */
  weight32(name: string, data: Float32Array, dims: number[]): Value {
    return this.initializer(name, OnnxDataType.Float, dims, floatBytes(data));
  }

  /** an initializer of any type from its little-endian bytes */
  initializer(name: string, dataType: OnnxDataType, dims: number[], raw: Part): Value {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dataType, dims, raw });
    return n;
  }

  floats(name: string, values: number[], dims: number[] = [values.length]): Value {
    return this.weight(name, Float32Array.from(values), dims);
  }

  floats32(name: string, values: number[], dims: number[] = [values.length]): Value {
    return this.weight32(name, Float32Array.from(values), dims);
  }

  scalar(name: string, value: number): Value {
    return this.weight(name, Float32Array.of(value), []);
  }

  scalar32(name: string, value: number): Value {
    return this.weight32(name, Float32Array.of(value), []);
  }

  /** x (in floatType) as float32: a Cast in a float16 graph, x itself otherwise */
  toFloat32(x: Value): Value {
    return this.floatType === OnnxDataType.Float ? x : this.op('Cast', [x], { to: OnnxDataType.Float }, 'to_float32');
  }

  /** x (float32) in floatType: a Cast in a float16 graph, x itself otherwise */
  toFloatType(x: Value): Value {
    return this.floatType === OnnxDataType.Float ? x : this.op('Cast', [x], { to: this.floatType }, 'to_float16');
  }

  int64s(name: string, values: number[], dims: number[] = [values.length]): Value {
    const n = this.fresh(name);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name: n, dataType: OnnxDataType.Int64, dims, raw: new Uint8Array(data.buffer) });
    return n;
  }

  op(opType: string, inputs: Value[], attributes: Record<string, AttributeValue> = {}, outputName?: string): Value {
    return this.opMulti(opType, inputs, 1, attributes, outputName)[0]!;
  }

  opMulti(opType: string, inputs: Value[], outputCount: number, attributes: Record<string, AttributeValue> = {}, outputName?: string): Value[] {
    return this.node(opType, inputs, Array.from({ length: outputCount }, () => true), attributes, outputName, '');
  }

  /** one of onnxruntime's contrib operators (com.microsoft domain) */
  msOp(opType: string, inputs: Value[], attributes: Record<string, AttributeValue> = {}, outputName?: string): Value {
    return this.node(opType, inputs, [true], attributes, outputName, msDomain)[0]!;
  }

  /**
   * A node whose outputs are named only where `wanted` is true: onnxruntime
   * skips optional outputs left unnamed. Inputs may be '' for an absent
   * optional input. Returns the names, '' for the skipped ones.
   */
  node(opType: string, inputs: Value[], wanted: boolean[], attributes: Record<string, AttributeValue> = {}, outputName?: string, domain = ''): Value[] {
    const base = outputName ?? opType;
    const outputs = wanted.map((w, i) => (w ? this.fresh(wanted.length === 1 ? base : `${base}_${i}`) : ''));
    while (outputs.length > 1 && outputs.at(-1) === '') outputs.pop();
    const first = outputs.find((o) => o) ?? this.fresh(base);
    this.nodes.push({ opType, inputs, outputs, name: `${first}/${opType}`, attributes, ...(domain ? { domain } : {}) });
    return outputs;
  }

  build(name: string): OnnxGraph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  /** total bytes of initializer data, for progress estimates */
  get weightBytes(): number {
    return this.initializers.reduce((a, t) => a + t.raw.byteLength, 0);
  }
}
