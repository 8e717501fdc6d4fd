/**
 * The machine's practical fp32 MatMul peak through onnxruntime-node: a square
 * 1024x1024 by 1024x1024 MatMul built with the converter's graph builder, timed
 * over repeated runs. Encoder GFLOP/s is reported against this.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import '../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/model/convert/graphBuilder';
import { OnnxDataType, encodeModel, writeMessage } from '../src/engine/model/convert/onnxModel';

export async function matmulPeakGflops(threads: number, n = 1024, runs = 20): Promise<number> {
  const g = new GraphBuilder();
  const a = g.input('a', OnnxDataType.Float, [n, n]);
  const w = g.weight('w', Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), [n, n]);
  g.output(g.op('MatMul', [a, w]), 'y', OnnxDataType.Float, [n, n]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-matmul-')), 'matmul.onnx');
  writeMessage(file, encodeModel(g.build('matmul'), { producerName: 'bench', producerVersion: '0', docString: '', metadata: {} }));
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads });
  const feeds = { a: new ort.Tensor('float32', new Float32Array(n * n).fill(0.5), [n, n]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    best = Math.min(best, performance.now() - t0);
  }
  await session.release();
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return (2 * n * n * n) / (best / 1000) / 1e9;
}

if (require.main === module) {
  matmulPeakGflops(os.cpus().length).then((g) => console.log(`MatMul peak: ${g.toFixed(1)} GFLOP/s`));
}
