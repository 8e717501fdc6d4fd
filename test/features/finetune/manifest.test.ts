/**
 * The fine-tune command and its Python setting as the manifest declares them:
 * the command in the Clinical category, and the interpreter (it runs a
 * program) a user setting only, ignored in untrusted workspaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dir = join(root, 'src/features/finetune');
const source = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');

test('"Clinical: Fine-tune Model on Workstation..." is declared and registered', () => {
  assert.match(source, /FINETUNE_COMMAND = 'clinicalModernbert\.finetuneModel'/);
  const declared = manifest.contributes.commands.find((c: { command: string }) => c.command === 'clinicalModernbert.finetuneModel');
  assert.deepEqual(declared, { command: 'clinicalModernbert.finetuneModel', title: 'Fine-tune Model on Workstation...', category: 'Clinical' });
  assert.match(readFileSync(join(root, 'src/extension.ts'), 'utf8'), /registerFinetuneFeatures\(ctx, models, labels\)/);
});

test('clinicalModernbert.python is machine-scoped and restricted in untrusted workspaces', () => {
  assert.equal(manifest.contributes.configuration.properties['clinicalModernbert.python'].scope, 'machine');
  assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('clinicalModernbert.python'));
});

test('the companion runs in the extension host\'s child process, never the engine worker, and the Python extension is optional', () => {
  assert.doesNotMatch(source, /from '[^']*onnxruntime|worker_threads/);
  assert.match(source, /getExtension\('ms-python\.python'\)/);
  assert.match(source, /catch \(e\) \{\s*ctx\.log\('warn', `Fine-tune: the Python extension/);
});

test('the extension host bundle loads no native engine package (the fine-tune driver reaches the engine through the worker)', (t) => {
  const bundle = join(root, 'dist', 'extension.js');
  let text: string;
  try {
    text = readFileSync(bundle, 'utf8');
  } catch {
    t.skip('dist/extension.js is not built (npm test builds it first)');
    return;
  }
  assert.match(text, /clinicalModernbert\.finetuneModel/);
  for (const native of ['onnxruntime-node', 'sqlite3', 'sqlite-vec']) assert.doesNotMatch(text, new RegExp(`require\\("${native}"\\)`), native);
});
