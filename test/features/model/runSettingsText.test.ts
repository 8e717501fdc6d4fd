import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDetails, runLine } from '../../../src/features/model/runSettingsText';

test('the status-bar tooltip and Show Model Info say which precision runs and why, with threads and batch tokens', () => {
  const info = { precision: 'int8' as const, precisionReason: 'auto: int8 on the CPU', threads: 4, batchTokens: 2048 };
  assert.equal(runDetails(info), 'auto: int8 on the CPU; 4 threads; batches of up to 2048 tokens');
  assert.equal(runLine(info), 'Precision: int8 (auto: int8 on the CPU; 4 threads; batches of up to 2048 tokens)');
  // threads 0: onnxruntime's own choice, not "0 threads"
  assert.equal(runDetails({ ...info, threads: 0 }), 'auto: int8 on the CPU; batches of up to 2048 tokens');
  // an engine from before precisions: fp32 and nothing more
  assert.equal(runLine({}), 'Precision: fp32');
});
