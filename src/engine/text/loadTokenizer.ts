/** Finds and loads the tokenizer of a model folder in the Hugging Face layout. */
import * as path from 'node:path';
import { EngineError } from '../errors';
import { readRegularTextFile, somethingAt } from '../regularFile';
import { ClinicalTokenizer } from './tokenizer';
import { wordPieceTokenizerJson } from './wordPieceVocab';

/** tokenizer.json (+ tokenizer_config.json when present), or a WordPiece tokenizer built from vocab.txt. */
export function loadTokenizerFromFolder(dir: string): ClinicalTokenizer {
  const config = readJsonIfPresent(path.join(dir, 'tokenizer_config.json'));
  const tokenizerJsonPath = path.join(dir, 'tokenizer.json');
  if (somethingAt(tokenizerJsonPath)) {
    return new ClinicalTokenizer(readJsonIfPresent(tokenizerJsonPath), config ?? {});
  }
  const vocabPath = path.join(dir, 'vocab.txt');
  if (somethingAt(vocabPath)) {
    const c = (config ?? {}) as Record<string, unknown>;
    const json = wordPieceTokenizerJson(readRegularTextFile(vocabPath, 'vocab.txt in the model folder', 'bad-tokenizer'), {
      doLowerCase: typeof c.do_lower_case === 'boolean' ? c.do_lower_case : true,
      stripAccents: typeof c.strip_accents === 'boolean' ? c.strip_accents : null,
      tokenizeChineseChars: typeof c.tokenize_chinese_chars === 'boolean' ? c.tokenize_chinese_chars : true,
    });
    return new ClinicalTokenizer(json, config ?? {});
  }
  throw new EngineError('missing-file', `The model folder has no tokenizer.json (nor a vocab.txt): ${dir}`);
}

function readJsonIfPresent(file: string): unknown {
  if (!somethingAt(file)) return undefined;
  const text = readRegularTextFile(file, `${path.basename(file)} in the model folder`, 'bad-tokenizer');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new EngineError('bad-tokenizer', `${path.basename(file)} is not valid JSON (${(e as Error).message}); the file may be truncated.`);
  }
}
