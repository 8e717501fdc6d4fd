import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelEmbedder } from '../../../src/engine/index/modelEmbedder';
import type { LoadedModel } from '../../../src/engine/host';
import type { ModelInfo } from '../../../src/engine/coreProtocol';
import { defaultEngineSettings } from '../../../src/engine/coreProtocol';
import type { TokenWindow } from '../../../src/engine/text/types';

function model(info: Partial<ModelInfo>, windows: TokenWindow[]): LoadedModel {
  return {
    info: { path: '/m', onnxPath: '/m/onnx/model.onnx', architecture: 'bert', hidden: 32, windowTokens: 128, demo: false, ...info } as ModelInfo,
    config: {} as LoadedModel['config'],
    tokenizer: {} as LoadedModel['tokenizer'],
    windows: () => windows,
    run: async () => [],
    dispose: async () => undefined,
  };
}
const w = (charStart: number, charEnd: number, tokenStart: number, tokenEnd: number) => ({ index: 0, ids: [], offsets: [], tokenStart, tokenEnd, charStart, charEnd });

test('passages are the model windows with their character spans and token counts', () => {
  const e = modelEmbedder(model({}, [w(0, 40, 0, 10), w(30, 80, 8, 20), w(80, 80, 20, 20)]), defaultEngineSettings, async () => []);
  assert.deepEqual(e.chunk('x'), [
    { start: 0, end: 40, tokens: 10 },
    { start: 30, end: 80, tokens: 12 },
  ]);
  assert.equal(e.dims, 32);
});

test('the fingerprint follows the model, the windows and the pooling; demo models are flagged', () => {
  const a = modelEmbedder(model({}, []), defaultEngineSettings, async () => []);
  const b = modelEmbedder(model({ windowTokens: 256 }, []), defaultEngineSettings, async () => []);
  const c = modelEmbedder(model({}, []), { ...defaultEngineSettings, pooling: 'cls' }, async () => []);
  const d = modelEmbedder(model({ path: '/other' }, []), defaultEngineSettings, async () => []);
  assert.equal(new Set([a, b, c, d].map((x) => x.fingerprint)).size, 4);
  assert.equal(modelEmbedder(model({}, []), defaultEngineSettings, async () => []).fingerprint, a.fingerprint, 'stable');
  assert.equal(modelEmbedder(model({ demo: true }, []), defaultEngineSettings, async () => []).demo, true);
});
