/**
 * Opens a session on a provider with a tiny graph and runs it once: the only
 * way to know that a GPU adapter exists and its libraries work together, which
 * looking at files cannot tell.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// session.ts imports telemetryOff and the runtime choice before onnxruntime-node
import '../session';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../convert/graphBuilder';
import { encodeModel, OnnxDataType, writeMessage } from '../convert/onnxModel';
import type { ProbeResult } from './protocol';

function probeModel(): string {
  const g = new GraphBuilder();
  const x = g.input('x', OnnxDataType.Float, [1, 8]);
  const w = g.weight('w', Float32Array.from({ length: 64 }, (_, i) => (i % 9 === 0 ? 1 : 0)), [8, 8]);
  g.output(g.op('MatMul', [x, w]), 'y', OnnxDataType.Float, [1, 8]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-probe-')), 'probe.onnx');
  writeMessage(file, encodeModel(g.build('probe'), { producerName: 'clinical-modernbert', producerVersion: '1', docString: 'provider probe', metadata: {} }));
  return file;
}

export async function probeProvider(provider: 'cuda' | 'webgpu'): Promise<ProbeResult> {
  const file = probeModel();
  const t0 = Date.now();
  ort.env.logLevel = 'fatal';
  try {
    const session = await ort.InferenceSession.create(file, { executionProviders: [provider], logSeverityLevel: 3 });
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from({ length: 8 }, (_, i) => i), [1, 8]) });
      const y = out['y']?.data as Float32Array | undefined;
      if (!y || y[3] !== 3) return { ok: false, reason: 'the session ran but computed a wrong result' };
    } finally {
      await session.release();
    }
    return { ok: true, ms: Date.now() - t0 };
  } catch (e) {
    return { ok: false, reason: (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300) };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}
