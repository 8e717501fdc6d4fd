/**
 * What a head folder costs on top of the encoder: a real-size random BERT
 * encoder (the released Clinical ModernBERT's sizes, hidden 768) on CPU, one
 * batch of 8 windows of 128 tokens, run for last_hidden_state alone and then
 * with a head folder's logits (a linear token head with 7 labels; a BERT pooler
 * sequence head with 3). The head runs as its own ONNX session on the
 * encoder's output, so its cost is the extra session.run plus the head's math.
 *
 * The model is generated and converted once into bench/.cache (shared with
 * bench/encoder.ts, ignored by git).
 * Usage: node --import tsx bench/heads.ts [--quick]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultEngineSettings } from '../src/engine/coreProtocol';
import { makeTestModel } from '../src/engine/model/testModel';
import { makeTestHead } from '../src/engine/model/testHead';
import { loadModel } from '../src/engine/model/loadModel';
import { writeTestTokenizerFiles } from '../src/engine/text/testTokenizer';
import { appendBenchmark, machineLine } from './report';

const quick = process.argv.includes('--quick');
const cache = path.resolve(__dirname, '.cache', 'real-bert');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main() {
  if (!fs.existsSync(path.join(cache, 'model.safetensors'))) {
    console.log('generating the real-size random checkpoint (once)...');
    makeTestModel({ arch: 'bert', out: cache, sizes: 'real' });
  }
  // the test tokenizer is enough: windows are built from ids directly
  if (!fs.existsSync(path.join(cache, 'tokenizer.json'))) writeTestTokenizerFiles(cache);
  makeTestHead({ encoderDir: cache, name: 'bench-token', task: 'token' });
  makeTestHead({ encoderDir: cache, name: 'bench-sequence', task: 'sequence' });
  const model = await loadModel(cache, { ...defaultEngineSettings, executionProvider: 'cpu', batchSize: 8 });
  const windows = Array.from({ length: 8 }, (_, w) => [2, ...Array.from({ length: 126 }, (_, i) => 10 + ((i * 31 + w * 7) % 400)), 3]);
  const rounds = quick ? 3 : 9;
  const variants: Array<[string, () => Promise<unknown>]> = [
    ['encoder only (last_hidden_state)', () => model.run(windows, ['last_hidden_state'])],
    ['encoder + token head folder (logits)', () => model.run(windows, ['logits'], undefined, { head: 'bench-token' })],
    ['encoder + sequence head folder (logits)', () => model.run(windows, ['logits'], undefined, { head: 'bench-sequence' })],
  ];
  for (const [, run] of variants) await run(); // warm-up: sessions, head conversion
  const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  // interleaved rounds, so machine load drifts hit every variant alike
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of variants) {
      const t0 = performance.now();
      await run();
      times.get(name)!.push(performance.now() - t0);
    }
  }
  await model.dispose();
  const base = median(times.get(variants[0]![0])!);
  const lines = variants.map(([name]) => {
    const m = median(times.get(name)!);
    return `| ${name} | ${m.toFixed(1)} ms | ${name === variants[0]![0] ? '' : `${m >= base ? '+' : ''}${(m - base).toFixed(1)} ms (${m >= base ? '+' : ''}${(((m - base) / base) * 100).toFixed(1)}%)`} |`;
  });
  const body = [
    machineLine(),
    '',
    `Real-size random BERT encoder (22 layers, hidden 768), CPU, one batch of 8 x 128 tokens; median of ${rounds} interleaved rounds.`,
    '',
    '| run | per batch | head cost |',
    '|---|---|---|',
    ...lines,
    '',
    'A head\'s own work (one Gemm, or a pooler and a Gemm, on 8 x 128 x 768) is far below the encoder\'s; differences within the machine\'s noise mean it is too small to see.',
  ].join('\n');
  console.log(body);
  if (!quick) appendBenchmark('Task head folders', body);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
