/**
 * A complete test model folder: seeded random weights (testModel.ts) plus the
 * small byte-level BPE tokenizer (testTokenizer.ts). Used by `cmb
 * make-test-model`, `npm start`'s demo model, tests and benchmarks. The
 * config carries "cmb_test_model": true, so the product flags it as a demo.
 */
import { makeTestModel, type TestArch, type TestHead, type TestModelFiles } from './testModel';
import { writeTestTokenizerFiles } from '../text/testTokenizer';

export interface TestModelFolderOptions {
  arch: TestArch;
  head?: TestHead;
  out: string;
  /** tiny: for tests; real: the released Clinical ModernBERT's sizes, random weights (benchmarks) */
  size?: 'tiny' | 'real';
  seed?: number;
}

export function makeTestModelFolder(opts: TestModelFolderOptions): TestModelFiles {
  const files = makeTestModel({ arch: opts.arch, head: opts.head, out: opts.out, sizes: opts.size ?? 'tiny', seed: opts.seed });
  writeTestTokenizerFiles(opts.out);
  return files;
}
