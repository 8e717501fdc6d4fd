/**
 * Test support for head folders: a ...For*Classification checkpoint cut in two,
 * an encoder folder (the checkpoint's encoder tensors, prefix dropped, as
 * transformers saves a base model) and a head folder holding the head's
 * tensors under their checkpoint names.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultEngineSettings, type EngineSettings } from '../../../src/engine/coreProtocol';
import { inspectModelFolder } from '../../../src/engine/model/folder';
import { writeHeadFolder } from '../../../src/engine/model/headFolder';
import { readSafetensors, tensorAsFloat32, writeSafetensors, type TensorToWrite } from '../../../src/engine/model/safetensors';
import { makeTestModel, type TestArch } from '../../../src/engine/model/testModel';
import { writeTestTokenizerFiles } from '../../../src/engine/text/testTokenizer';

export const scratch = mkdtempSync(join(tmpdir(), 'cmb-heads-'));
export const cpuSettings: EngineSettings = { ...defaultEngineSettings, executionProvider: 'cpu', threads: 1, batchSize: 2 };

const headTensor = /^(classifier\.|head\.|(bert\.)?pooler\.)/;

export interface SplitCheckpoint {
  combined: string;
  encoder: string;
  headName: string;
  labels: string[];
}

let counter = 0;

/** A random combined checkpoint and the same weights as encoder + heads/NAME. */
export function splitCheckpoint(arch: TestArch, task: 'token' | 'sequence', configOverrides: Record<string, unknown> = {}): SplitCheckpoint {
  const base = join(scratch, `${arch}-${task}-${counter++}`);
  const combined = join(base, 'combined');
  const encoder = join(base, 'encoder');
  const files = makeTestModel({ arch, head: task, out: combined, std: 0.1, randomNorms: true, configOverrides });
  writeTestTokenizerFiles(combined);

  const st = readSafetensors(files.safetensorsPath);
  const encoderTensors: TensorToWrite[] = [];
  const headTensors: TensorToWrite[] = [];
  for (const [name, entry] of st.tensors) {
    const t = { name, shape: [...entry.shape], data: tensorAsFloat32(st, name) };
    if (headTensor.test(name)) headTensors.push(t);
    else encoderTensors.push({ ...t, name: name.replace(/^(bert|model)\./, '') });
  }
  mkdirSync(encoder, { recursive: true });
  const config = JSON.parse(readFileSync(files.configPath, 'utf8')) as Record<string, unknown>;
  const labels = Object.values(config['id2label'] as Record<string, string>);
  delete config['id2label'];
  delete config['label2id'];
  config['architectures'] = [arch === 'bert' ? 'BertModel' : 'ModernBertModel'];
  writeFileSync(join(encoder, 'config.json'), JSON.stringify(config, null, 2));
  writeSafetensors(join(encoder, 'model.safetensors'), encoderTensors);
  writeTestTokenizerFiles(encoder);

  const folder = inspectModelFolder(encoder);
  const m = folder.config.modernbert;
  const headName = `${task}-head`;
  writeHeadFolder({
    encoder: folder, name: headName, task, labels, tensors: headTensors, createdBy: 'test: cut from a combined checkpoint',
    architecture: arch === 'modernbert' ? 'modernbert-head' : task === 'token' ? 'linear' : 'bert-pooler',
    pooling: task === 'sequence' ? m?.classifierPooling ?? 'cls' : undefined,
    activation: m?.classifierActivation, normEps: m ? folder.config.layerNormEps : undefined,
  });
  return { combined, encoder, headName, labels };
}

/** windows of several lengths ([CLS] ... [SEP] with ids of the test tokenizer), so batches carry padding */
export function testWindows(): number[][] {
  return [7, 12, 3, 20, 9].map((n, w) => [2, ...Array.from({ length: n }, (_, i) => 10 + ((i * 37 + w * 101) % 480)), 3]);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
