/**
 * `cmb finetune`'s own cost around the companion, end to end on the CPU:
 * preparing the input file (read, tokenize, window, align, split, write),
 * the companion's training loop, and the verification (conversion, parity,
 * the engine's test figures). The model is the tiny test model, so training
 * time is the companion's loop and Python's start, not model compute; the
 * real-size training figures are bench/companion_train.py's.
 *
 * Notes: synthetic clinical text (bench/syntheticNotes.ts), symptom words
 * labelled PROBLEM. Needs a Python with PyTorch >= 1.13 (skips otherwise).
 * Usage: node --import tsx bench/finetune.ts [--notes N] [--chars N] [--epochs N] [--max-tokens N]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine, directContext } from '../src/engine/engine';
import { domainHandlers } from '../src/engine/domains';
import { findPython } from '../src/engine/finetune/python';
import { runFinetune } from '../src/engine/finetune/run';
import type { StepEvent } from '../src/engine/finetune/companion';
import { makeTestModelFolder } from '../src/engine/model/testModelFolder';
import { machineLine } from './report';
import { syntheticClinicalText } from './syntheticNotes';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const notes = arg('notes', 200);
const chars = arg('chars', 1000);
const epochs = arg('epochs', 1);
const maxTokens = arg('max-tokens', 128);
const SYMPTOMS = ['chest pain', 'dyspnea', 'palpitations', 'syncope', 'abdominal pain', 'headache', 'cough', 'fatigue'];

async function main(): Promise<void> {
  let python;
  try {
    python = await findPython({ explicit: process.env['CMB_PYTHON'] || undefined });
  } catch (e) {
    console.log(`bench/finetune.ts skipped: ${(e as Error).message}`);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-bench-finetune-'));
  try {
    const model = path.join(work, 'model');
    makeTestModelFolder({ arch: 'modernbert', out: model });
    const lines: string[] = [];
    for (let n = 0; n < notes; n++) {
      const text = syntheticClinicalText(chars, n + 1);
      const spans: Array<{ start: number; end: number; label: string }> = [];
      for (const s of SYMPTOMS) for (const m of text.matchAll(new RegExp(`\\b${s}\\b`, 'g'))) spans.push({ start: m.index!, end: m.index! + s.length, label: 'PROBLEM' });
      lines.push(JSON.stringify({ text, spans }));
    }
    const data = path.join(work, 'notes.jsonl');
    fs.writeFileSync(data, lines.join('\n') + '\n');
    const engine = new Engine({ storageDir: path.join(work, 'storage'), log: () => undefined }, domainHandlers);
    const marks: Record<string, number> = {};
    let tokensPerS = 0;
    let tokens = 0;
    let dataBytes = 0;
    const t0 = performance.now();
    const r = await runFinetune(
      { model, out: path.join(work, 'out'), task: 'ner', data: [data], epochs, maxTokens, batch: 16, lr: 1e-3, python: python.executable, pythonOnly: true, resumeHint: '' },
      {
        prepare: async (p, signal) => {
          const res = await engine.call('finetune.prepare', p, directContext({ signal }));
          dataBytes = fs.statSync(res.dataFile).size;
          return res;
        },
        verify: (p, signal, progress) => engine.call('finetune.verify', p, directContext({ signal, progress: (pr) => progress(pr.message) })),
      },
      {
        phase: (m) => {
          if (!(m in marks)) marks[m] = performance.now();
        },
        prepared: (p) => {
          tokens = Object.values(p.splits).reduce((a, s) => a + s.tokens, 0);
        },
        event: (e) => {
          if (e.event === 'step' && typeof (e as unknown as StepEvent).tokens_per_s === 'number') tokensPerS = (e as unknown as StepEvent).tokens_per_s!;
        },
      },
      new AbortController().signal,
    );
    const end = performance.now();
    await engine.dispose();
    const at = (m: string) => marks[m] ?? end;
    const prepareS = (at('Fine-tuning') - at('Preparing the labelled notes')) / 1000;
    const trainS = (at('Converting the fine-tuned model to ONNX') - at('Fine-tuning')) / 1000;
    const verifyS = (end - at('Converting the fine-tuned model to ONNX')) / 1000;
    const row = {
      notes, chars, max_tokens: maxTokens, epochs, tokens,
      prepare_s: +prepareS.toFixed(2), prepare_tokens_per_s: Math.round(tokens / prepareS), data_file_mb: +(dataBytes / 1e6).toFixed(2),
      train_s: +trainS.toFixed(2), companion_tokens_per_s: Math.round(tokensPerS),
      verify_s: +verifyS.toFixed(2), parity: r.verified.parity.max_abs_diff, total_s: +((end - t0) / 1000).toFixed(2),
    };
    console.log(machineLine());
    console.log(`python ${python.executable}, torch ${python.torch}`);
    console.log(JSON.stringify(row));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
