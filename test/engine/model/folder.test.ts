import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineError, type EngineErrorCode } from '../../../src/engine/errors';
import { inspectModelFolder, tokenizerIdCount } from '../../../src/engine/model/folder';
import { makeTestModel } from '../../../src/engine/model/testModel';
import { writeSafetensors } from '../../../src/engine/model/safetensors';

const root = mkdtempSync(join(tmpdir(), 'cmb-folder-'));
let n = 0;

function tokenizer(ids: number): object {
  return { model: { type: 'WordPiece', vocab: Object.fromEntries(Array.from({ length: ids - 1 }, (_, i) => [`t${i}`, i])) }, added_tokens: [{ id: ids - 1, content: '[MASK]' }] };
}

/** a complete tiny BERT folder; `edit` removes or adds files */
function folder(edit: (dir: string) => void = () => {}): string {
  const dir = join(root, `m${n++}`);
  makeTestModel({ arch: 'bert', out: dir, tokenizerJson: tokenizer(512) });
  edit(dir);
  return dir;
}

function fails(dir: string, code: EngineErrorCode, pattern: RegExp): void {
  assert.throws(() => inspectModelFolder(dir), (e: unknown) => {
    assert.ok(e instanceof EngineError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a complete folder is described: config, tokenizer, weights, demo flag', () => {
  const dir = folder((d) => writeFileSync(join(d, 'tokenizer_config.json'), '{}'));
  const f = inspectModelFolder(dir);
  assert.equal(f.config.modelType, 'bert');
  assert.equal(f.tokenizerPath, join(dir, 'tokenizer.json'));
  assert.equal(f.tokenizerConfigPath, join(dir, 'tokenizer_config.json'));
  assert.equal(f.safetensorsPath, join(dir, 'model.safetensors'));
  assert.deepEqual(f.safetensorsFiles, [join(dir, 'model.safetensors')]);
  assert.equal(f.onnxPath, undefined);
  assert.equal(f.demo, true);
});

test('a checkpoint without the test-model flag is not a demo', () => {
  const dir = folder();
  makeTestModel({ arch: 'bert', out: dir, configOverrides: { cmb_test_model: false } });
  assert.equal(inspectModelFolder(dir).demo, false);
});

test('onnx/model.onnx (optimum / transformers.js layout) and a root model.onnx are found', () => {
  const a = folder((d) => {
    mkdirSync(join(d, 'onnx'));
    writeFileSync(join(d, 'onnx', 'model.onnx'), '');
  });
  assert.equal(inspectModelFolder(a).onnxPath, join(a, 'onnx', 'model.onnx'));
  const b = folder((d) => {
    rmSync(join(d, 'model.safetensors'));
    writeFileSync(join(d, 'model.onnx'), '');
  });
  assert.equal(inspectModelFolder(b).onnxPath, join(b, 'model.onnx'));
  assert.equal(inspectModelFolder(b).safetensorsPath, undefined);
});

test('a folder that does not exist is a missing-file error', () => {
  fails(join(root, 'nowhere'), 'missing-file', /does not exist/);
});

test('a folder without config.json is refused', () => {
  fails(folder((d) => rmSync(join(d, 'config.json'))), 'missing-file', /no config\.json/);
});

test('a folder without tokenizer.json is refused', () => {
  fails(folder((d) => rmSync(join(d, 'tokenizer.json'))), 'missing-file', /no tokenizer\.json/);
});

test('a vocab.txt-only folder is refused with how to make tokenizer.json, unless the tokenizer accepts vocab.txt', () => {
  const dir = folder((d) => {
    rmSync(join(d, 'tokenizer.json'));
    writeFileSync(join(d, 'vocab.txt'), '[PAD]\n');
  });
  fails(dir, 'missing-file', /vocab\.txt but no tokenizer\.json.*save_pretrained/);
  assert.equal(inspectModelFolder(dir, { acceptVocabTxt: true }).tokenizerPath, join(dir, 'vocab.txt'));
});

test('a pickle-only checkpoint is refused with the reason and how to convert', () => {
  const dir = folder((d) => {
    rmSync(join(d, 'model.safetensors'));
    writeFileSync(join(d, 'pytorch_model.bin'), 'not loaded');
  });
  fails(dir, 'pickle-refused', /pytorch_model\.bin.*arbitrary code.*safe_serialization=True/);
});

test('.pt and .ckpt files alone are refused as pickles too', () => {
  for (const name of ['model.pt', 'last.ckpt']) {
    const dir = folder((d) => {
      rmSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, name), '');
    });
    fails(dir, 'pickle-refused', new RegExp(name.replace('.', '\\.')));
  }
});

test('a folder with no weights at all says so', () => {
  fails(folder((d) => rmSync(join(d, 'model.safetensors'))), 'missing-file', /neither model\.safetensors nor onnx\/model\.onnx/);
});

test('a tokenizer with more ids than vocab_size is a vocab mismatch', () => {
  const dir = folder((d) => writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tokenizer(600))));
  fails(dir, 'vocab-mismatch', /600 token ids but config\.json says vocab_size 512/);
});

test('a tokenizer with fewer ids than vocab_size is fine (ModernBERT pads its vocabulary)', () => {
  const dir = folder((d) => writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(tokenizer(500))));
  assert.equal(inspectModelFolder(dir).config.vocabSize, 512);
});

test('tokenizer id count covers added tokens and Unigram vocabularies', () => {
  assert.equal(tokenizerIdCount({ model: { vocab: { a: 0, b: 3 } }, added_tokens: [{ id: 9 }] }), 10);
  assert.equal(tokenizerIdCount({ model: { vocab: [['a', 0], ['b', -1]] } }), 2);
});

test('an unreadable tokenizer.json is a bad-tokenizer error', () => {
  fails(folder((d) => writeFileSync(join(d, 'tokenizer.json'), '{oops')), 'bad-tokenizer', /tokenizer\.json.*not valid JSON/);
});

test('sharded safetensors are listed from model.safetensors.index.json', () => {
  const dir = folder((d) => {
    rmSync(join(d, 'model.safetensors'));
    writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), [{ name: 'a', shape: [1], data: Float32Array.of(1) }]);
    writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), [{ name: 'b', shape: [1], data: Float32Array.of(2) }]);
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
  });
  const f = inspectModelFolder(dir);
  assert.equal(f.safetensorsPath, join(dir, 'model.safetensors.index.json'));
  assert.deepEqual(f.safetensorsFiles, [join(dir, 'model-00001-of-00002.safetensors'), join(dir, 'model-00002-of-00002.safetensors')]);
});

test('a shard missing from the folder is reported', () => {
  const dir = folder((d) => {
    rmSync(join(d, 'model.safetensors'));
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors' } }));
  });
  fails(dir, 'missing-file', /model-00001-of-00002\.safetensors.*incomplete/);
});

test('an unsupported model_type is refused by config parsing', () => {
  const dir = folder((d) => writeFileSync(join(d, 'config.json'), JSON.stringify({ model_type: 'gpt2' })));
  fails(dir, 'unsupported-model', /gpt2/);
});

test('the real ModernBERT tokenizer fits its config (50,368 ids, padded vocabulary)', (t) => {
  const dir = resolve(__dirname, '../../../..', 'shared/data/tokenizers/modernbert');
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    t.skip(`reference data absent: ${dir}`);
    return;
  }
  const ids = tokenizerIdCount(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
  t.diagnostic(`tokenizer ids: ${ids}`);
  const model = join(root, 'real-tokenizer');
  makeTestModel({ arch: 'modernbert', out: model, sizes: { vocabSize: 50368, hidden: 8, heads: 2, intermediate: 8, layers: 1 }, tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8') });
  assert.equal(inspectModelFolder(model).config.vocabSize, 50368);
  makeTestModel({ arch: 'modernbert', out: model, sizes: { vocabSize: ids - 1, hidden: 8, heads: 2, intermediate: 8, layers: 1 } });
  fails(model, 'vocab-mismatch', new RegExp(`${ids} token ids`));
});
