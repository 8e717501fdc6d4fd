/**
 * The machine's practical MatMul peaks through onnxruntime-node: a square
 * 1024x1024 by 1024x1024 product built with the converter's graph builder,
 * timed over repeated runs, in float32 (MatMul) and in int8 (MatMulInteger,
 * uint8 x int8 -> int32, the integer kernel the int8 encoder runs). Encoder
 * GFLOP/s is reported against these.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import '../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/model/convert/graphBuilder';
import { OnnxDataType, encodeModel, writeMessage } from '../src/engine/model/convert/onnxModel';

async function timeBest(g: GraphBuilder, feeds: Record<string, ort.Tensor>, threads: number, runs: number): Promise<number> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-matmul-')), 'matmul.onnx');
  writeMessage(file, encodeModel(g.build('matmul'), { producerName: 'bench', producerVersion: '0', docString: '', metadata: {} }));
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  for (let i = 0; i < 3; i++) await session.run(feeds);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await session.release();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return best / 1000;
}

export async function matmulPeakGflops(threads: number, n = 1024, runs = 20): Promise<number> {
  const g = new GraphBuilder();
  const a = g.input('a', OnnxDataType.Float, [n, n]);
  const w = g.weight('w', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, n]);
  g.output(g.op('MatMul', [a, w]), 'y', OnnxDataType.Float, [n, n]);
  const s = await timeBest(g, { a: new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]) }, threads, runs);
  return (2 * n * n * n) / s / 1e9;
}

/** uint8 activations x int8 weights, as DynamicQuantizeMatMul multiplies them; GOP/s (multiply and add counted as 2) */
export async function matmulInt8PeakGops(threads: number, n = 1024, runs = 20): Promise<number> {
  const g = new GraphBuilder();
  const a = g.input('a', OnnxDataType.Uint8, [n, n]);
  const w = g.initializer('w', OnnxDataType.Int8, [n, n], Uint8Array.from({ length: n * n }, (_, i) => ((i * 7919) % 255) - 127));
  g.output(g.op('MatMulInteger', [a, w]), 'y', OnnxDataType.Int32, [n, n]);
  const s = await timeBest(g, { a: new ort.Tensor('uint8', new Uint8Array(n * n).fill(131), [n, n]) }, threads, runs);
  return (2 * n * n * n) / s / 1e9;
}

/** FLOPs of one forward pass over `seq` tokens: matmuls (2 per multiply-add) plus attention scores and mixing. */
export function encoderFlops(seq: number, layers: number, h: number, inter: number): number {
  const perTokenLinear = 2 * (4 * h * h + 2 * h * inter);
  const attention = 2 * 2 * seq * h;
  return layers * seq * (perTokenLinear + attention);
}

if (require.main === module) {
  const threads = os.cpus().length;
  void (async () => {
    console.log(`MatMul peak: ${(await matmulPeakGflops(threads)).toFixed(1)} GFLOP/s float32, ${(await matmulInt8PeakGops(threads)).toFixed(1)} GOP/s int8`);
  })();
}
