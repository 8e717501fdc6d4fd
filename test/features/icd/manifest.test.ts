import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CODE_TEMPLATE } from '../../../src/engine/icd/codeTemplate';
import { ALL_SYSTEMS } from '../../../src/engine/icd/systems';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const read = (f: string) => readFileSync(join(root, 'src/features/icd', f), 'utf8');
const sources = ['index.ts', 'suggestCodes.ts', 'buildEmbeddings.ts', 'mapPanel.ts'].map(read).join('\n');

test('the suggestion, embedding and map commands are declared in the Clinical category', () => {
  const declared = new Map<string, { category: string; title: string }>(manifest.contributes.commands.map((c: { command: string; category: string; title: string }) => [c.command, c]));
  for (const [constant, title] of [['SUGGEST_COMMAND', 'Suggest ICD Codes for Selection'], ['BUILD_EMBEDDINGS_COMMAND', 'Build ICD Code Embeddings'], ['MAP_COMMAND', 'Show ICD Map']]) {
    const id = new RegExp(`${constant} = '([^']+)'`).exec(sources)?.[1];
    assert.ok(id, `${constant} is defined`);
    assert.equal(declared.get(id!)?.title, title);
    assert.equal(declared.get(id!)?.category, 'Clinical');
  }
});

test('the settings agree with the engine: the default template is the pretraining one, systems are the engine\'s', () => {
  const props = manifest.contributes.configuration.properties;
  assert.equal(props['clinicalModernbert.icd.embeddingTemplate'].default, DEFAULT_CODE_TEMPLATE);
  assert.deepEqual(props['clinicalModernbert.icd.suggestSystems'].items.enum, [...ALL_SYSTEMS]);
  assert.match(read('../../config.ts'), /DEFAULT_SUGGEST_SYSTEMS: IcdSystem\[\] = \['icd10cm', 'icd10pcs'\]/);
  assert.deepEqual(props['clinicalModernbert.icd.suggestSystems'].default, ['icd10cm', 'icd10pcs']);
});

test('the map webview ships its script and style, loads nothing from a network, and has a strict content security policy', () => {
  for (const f of ['map.js', 'map.css']) assert.ok(existsSync(join(root, 'media/icdMap', f)));
  const panel = read('mapPanel.ts');
  // the page's CSP is webviewPage's strictest: no images either (test/features/webviewPage.test.ts)
  assert.match(panel, /webviewPage\(pageAssets\(webview, /);
  assert.doesNotMatch(panel, /imagesFromExtension|Content-Security-Policy/);
  assert.match(panel, /localResourceRoots: \[media\]/);
  const script = readFileSync(join(root, 'media/icdMap/map.js'), 'utf8');
  assert.doesNotMatch(script, /https?:\/\//, 'no URL in the webview script');
  assert.doesNotMatch(script, /\binnerHTML\b|\beval\(|new Function/, 'codes and descriptions are set as text');
});
