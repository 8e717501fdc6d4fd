/**
 * Fidelity against Hugging Face transformers: each fixture under
 * test/fixtures/fidelity/<name>/ holds a tiny checkpoint saved by transformers
 * and the outputs transformers computed for fixed inputs (expected.json; see
 * that folder's README). The TypeScript converter must reproduce them to 1e-4
 * at unpadded positions. CMB_FIDELITY_DIR points elsewhere for local runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import '../../../src/engine/model/telemetryOff'; // before onnxruntime-node: telemetry off
import * as ort from 'onnxruntime-node';
import { parseConfig } from '../../../src/engine/model/config';
import { convertCheckpoint } from '../../../src/engine/model/convert/convert';
import type { ModelFolder } from '../../../src/engine/model/folder';
import type { GraphVariant } from '../../../src/engine/model/convert/variant';

/** the reference graph, and the fused one (onnxruntime's attention and LayerNorm kernels), which must be as exact */
const graphs: Array<[string, GraphVariant | undefined]> = [
  ['', undefined],
  [' (fused kernels)', { precision: 'fp32', fused: true, int8Route: 'contrib' }],
  [' (fused kernels and SkipLayerNormalization)', { precision: 'fp32', fused: true, skipLayerNorm: true, int8Route: 'contrib' }],
];

const fixturesDir = process.env['CMB_FIDELITY_DIR'] ?? resolve(__dirname, '../../fixtures/fidelity');
const tolerance = 1e-4;

interface Expected {
  architecture: string;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  last_hidden_state: { dims: number[]; data: number[] };
  logits?: { dims: number[]; data: number[] };
}

const fixtures = existsSync(fixturesDir)
  ? readdirSync(fixturesDir).filter((n) => existsSync(join(fixturesDir, n, 'expected.json'))).sort()
  : [];

if (fixtures.length === 0) {
  test('fidelity against transformers', (t) => {
    t.skip(`no fidelity fixtures in ${fixturesDir} (made by scripts/fidelity/make_fixtures.py)`);
  });
}

/** max |actual - expected| over positions whose mask is 1; [batch, labels] outputs are compared whole */
function maskedMaxDiff(actual: ort.Tensor, expected: { dims: number[]; data: number[] }, mask: number[][]): number {
  assert.deepEqual(actual.dims, expected.dims, 'output shape');
  const a = actual.data as Float32Array;
  if (expected.dims.length === 2) return Math.max(...expected.data.map((e, i) => Math.abs(a[i]! - e)));
  const [B, S, W] = expected.dims as [number, number, number];
  let max = 0;
  for (let b = 0; b < B; b++) for (let s = 0; s < S; s++) {
    if (mask[b]![s] !== 1) continue;
    for (let k = 0; k < W; k++) {
      const i = (b * S + s) * W + k;
      max = Math.max(max, Math.abs(a[i]! - expected.data[i]!));
    }
  }
  return max;
}

const out = mkdtempSync(join(tmpdir(), 'cmb-fidelity-'));

for (const name of fixtures) for (const [label, variant] of graphs) {
  test(`fidelity: ${name}${label} reproduces transformers within ${tolerance}`, async (t) => {
    const dir = join(fixturesDir, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const config = parseConfig(readFileSync(join(dir, 'config.json'), 'utf8'));
    // the fixtures carry no tokenizer: the converter needs only config and weights
    const folder: ModelFolder = {
      dir, config, configPath: join(dir, 'config.json'), tokenizerPath: '', safetensorsPath: join(dir, 'model.safetensors'),
      safetensorsFiles: [join(dir, 'model.safetensors')], demo: false,
    };
    const converted = convertCheckpoint(folder, join(out, name, variant ? `model_fused${variant.skipLayerNorm ? '_skip_norm' : ''}.onnx` : 'model.onnx'), { variant });
    const session = await ort.InferenceSession.create(converted.onnxPath, { executionProviders: ['cpu'] });
    const [B, S] = [expected.input_ids.length, expected.input_ids[0]!.length];
    const tensor = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [B, S]);
    const feeds: Record<string, ort.Tensor> = { input_ids: tensor(expected.input_ids), attention_mask: tensor(expected.attention_mask) };
    if (session.inputNames.includes('token_type_ids')) feeds['token_type_ids'] = tensor(expected.token_type_ids ?? expected.input_ids.map((r) => r.map(() => 0)));
    const result = await session.run(feeds);
    const dh = maskedMaxDiff(result['last_hidden_state']!, expected.last_hidden_state, expected.attention_mask);
    t.diagnostic(`last_hidden_state max abs diff ${dh.toExponential(2)}`);
    assert.ok(dh <= tolerance, `${name}: last_hidden_state differs from transformers by ${dh}`);
    if (expected.logits) {
      assert.ok(result['logits'], `${name}: transformers has logits (${expected.architecture}) but the converted model has none`);
      const dl = maskedMaxDiff(result['logits'], expected.logits, expected.attention_mask);
      t.diagnostic(`logits max abs diff ${dl.toExponential(2)}`);
      assert.ok(dl <= tolerance, `${name}: logits differ from transformers by ${dl}`);
    }
  });
}
