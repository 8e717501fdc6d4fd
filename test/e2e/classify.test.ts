/**
 * "Clinical: Classify This Note" shows the label probabilities of the open note,
 * with a model that has a sequence-classification head (the tiny demo model
 * made with --head sequence: random weights, so only the labels are checked,
 * not which one wins).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkspace, manifest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';

const model = process.env.E2E_SEQUENCE_MODEL;
const labels: string[] = model && existsSync(join(model, 'config.json'))
  ? Object.values(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')).id2label ?? {})
  : [];
const classifyCommand = (manifest.contributes?.commands ?? []).find((c) => c.command === 'clinicalModernbert.classifyNote');
const skipReason = !classifyCommand
  ? 'the extension does not contribute clinicalModernbert.classifyNote yet'
  : labels.length < 2
    ? 'no sequence-classification demo model (E2E_SEQUENCE_MODEL; scripts/run-e2e.mjs makes one with make-test-model --head sequence)'
    : false;

const { scenario } = session(
  'classify',
  () => ({
    vsix: vsixUnderTest(),
    workspace: makeWorkspace(),
    settings: { ...quietSettings, 'security.workspace.trust.enabled': false, 'clinicalModernbert.modelPath': model },
  }),
  skipReason,
);

scenario('classifying a note lists every label with its probability', async (t, wb) => {
  await wb.openFile('02-radiology-cxr-pneumonia.txt');
  assert.ok(await wb.runCommand(`${classifyCommand!.category}: ${classifyCommand!.title}`), 'the palette does not offer Classify This Note');
  const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const deadline = Date.now() + 90_000;
  let texts: string[] = [];
  while (Date.now() < deadline) {
    texts = (await rows.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
    if (labels.every((l) => texts.some((x) => x.includes(l)))) break;
    await wb.page.waitForTimeout(500);
  }
  t.diagnostic(`classification: ${JSON.stringify(texts)}`);
  for (const l of labels) assert.ok(texts.some((x) => x.includes(l)), `label ${l} is not listed`);
  assert.ok(texts.every((x) => /\d+(\.\d+)?\s*%/.test(x)), `a row without a percentage: ${JSON.stringify(texts)}`);
  const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
  assert.deepEqual(errors, []);
});
