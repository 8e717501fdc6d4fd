/**
 * A small DSL for building ONNX graphs: each op returns the name of its
 * output, so architecture code reads like the forward pass it mirrors.
 */
import type { AttributeValue, OnnxGraph, OnnxInitializer, OnnxNode, OnnxValueInfo } from './onnxModel';
import { OnnxDataType } from './onnxModel';

export type Value = string;

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

  /** a float32 weight; the array is referenced, not copied, until the file is written */
  weight(name: string, data: Float32Array, dims: number[]): Value {
    const n = this.fresh(name);
    this.initializers.push({ name: n, dataType: OnnxDataType.Float, dims, raw: floatBytes(data) });
    return n;
  }

  floats(name: string, values: number[], dims: number[] = [values.length]): Value {
    return this.weight(name, Float32Array.from(values), dims);
  }

  scalar(name: string, value: number): Value {
    return this.weight(name, Float32Array.of(value), []);
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
    const base = outputName ?? opType;
    const outputs = Array.from({ length: outputCount }, (_, i) => this.fresh(outputCount === 1 ? base : `${base}_${i}`));
    this.nodes.push({ opType, inputs, outputs, name: `${outputs[0]}/${opType}`, attributes });
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
