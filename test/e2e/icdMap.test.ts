/**
 * ICD codes suggested for a phrase, and the ICD map, in real VS Code
 * (code-server + Chromium), with the demo model and the fixture code sets:
 * "Suggest ICD Codes for Selection" writes the chosen code after the phrase;
 * "Build ICD Code Embeddings" then "Show ICD Map" draws the fixture's
 * ICD-10-CM codes on the map's canvas (its data-points and data-drawn
 * attributes count them) and a screenshot is kept.
 */
import assert from 'node:assert/strict';
import type { FrameLocator } from 'playwright-core';
import { contributesIcd, icdFixtureDir, makeWorkspace, manifest, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';
import type { Workbench } from './harness/workbench';

const note = 'zz-icd-suggest.txt';
const phrase = 'Type 2 diabetes mellitus without complications';
const command = (id: string) => {
  const c = (manifest.contributes?.commands ?? []).find((x) => x.command === id);
  return c ? `${c.category}: ${c.title}` : undefined;
};
const suggest = command('clinicalModernbert.icd.suggestCodes');
const build = command('clinicalModernbert.icd.buildEmbeddings');
const showMap = command('clinicalModernbert.icd.showMap');

const { scenario } = session(
  'icd-map',
  () => ({
    vsix: vsixUnderTest(),
    workspace: makeWorkspace({ [`notes/${note}`]: `Assessment:\n1. ${phrase}\n` }),
    settings: {
      ...quietSettings,
      'security.workspace.trust.enabled': false,
      'clinicalModernbert.modelPath': modelUnderTest(),
      'clinicalModernbert.icd.localFolder': icdFixtureDir,
    },
  }),
  !contributesIcd() || !suggest || !build || !showMap
    ? 'the extension does not contribute ICD suggestions and the map yet'
    : !modelUnderTest()
      ? 'no demo model (E2E_MODEL): codes are embedded with the loaded model'
      : false,
);

const rows = (wb: Workbench) => wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

async function rowTexts(wb: Workbench): Promise<string[]> {
  return (await rows(wb).allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
}

scenario('Suggest ICD Codes for Selection writes the chosen code after the phrase', async (t, wb) => {
  await wb.openFile(note);
  // select the phrase on line 2 (after "1. ")
  await wb.page.locator('.monaco-editor .view-lines').first().click();
  await wb.page.keyboard.press('Control+Home');
  await wb.page.keyboard.press('ArrowDown');
  await wb.page.keyboard.press('End');
  for (let i = 0; i < phrase.length; i++) await wb.page.keyboard.press('Shift+ArrowLeft');

  // the code sets install in the background on first start: until then the picker offers to install them
  const deadline = Date.now() + 120_000;
  let texts: string[] = [];
  while (Date.now() < deadline) {
    assert.ok(await wb.runCommand(suggest!), 'the palette does not offer Suggest ICD Codes for Selection');
    const inner = Date.now() + 30_000;
    while (Date.now() < inner) {
      texts = await rowTexts(wb);
      if (texts.some((x) => /E11\.9/.test(x)) || texts.some((x) => /Install ICD code sets/.test(x))) break;
      await wb.page.waitForTimeout(300);
    }
    if (texts.some((x) => /E11\.9/.test(x))) break;
    await wb.pressEscape();
    await wb.page.waitForTimeout(2_000);
  }
  t.diagnostic(`suggestions: ${JSON.stringify(texts.slice(0, 6))}`);
  assert.ok(texts.some((x) => /From words only/.test(x)), 'the demo model does not say suggestions come from words only');
  const best = texts.find((x) => /^E\d/.test(x) || /E11\.9/.test(x));
  assert.match(best ?? '', /E11\.9.*Type 2 diabetes mellitus without complications/, 'E11.9 is not the first code');
  assert.match(best ?? '', /billable/);
  await wb.page.keyboard.press('Enter');
  await wb.page.waitForTimeout(800);
  const lines = (await wb.page.locator('.monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  t.diagnostic(`note after inserting: ${JSON.stringify(lines)}`);
  assert.match(lines, new RegExp(`1\\. ${phrase} \\(E11\\.9\\)`), 'the code was not written after the phrase');
});

/** the map panel's page: a webview panel is an iframe holding the page's own iframe */
function mapFrame(wb: Workbench): FrameLocator {
  return wb.page.locator('iframe.webview.ready').last().contentFrame().frameLocator('#active-frame');
}

scenario('Show ICD Map draws the code space of the loaded model', async (t, wb) => {
  await wb.pressEscape(2);
  await wb.clearNotifications();
  assert.ok(await wb.runCommand(build!), 'the palette does not offer Build ICD Code Embeddings');
  // the systems picker (ICD-10-CM is picked by default) appears once a sample of codes is timed
  const picker = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'ICD-10-CM' }).first();
  await picker.waitFor({ timeout: 90_000 });
  t.diagnostic(`embedding picker: ${JSON.stringify(await rowTexts(wb))}`);
  await wb.page.keyboard.press('Enter');
  const deadline = Date.now() + 120_000;
  let done = '';
  while (Date.now() < deadline && !done) {
    done = (await wb.notifications()).map((n) => n.text).find((x) => /ICD code embeddings: \d+ embedded/.test(x)) ?? '';
    if (!done) await wb.page.waitForTimeout(500);
  }
  t.diagnostic(`build: ${done}`);
  assert.match(done, /ICD code embeddings: 27 embedded/, 'the 27 ICD-10-CM codes of the fixture were not embedded');

  assert.ok(await wb.runCommand(showMap!), 'the palette does not offer Show ICD Map');
  const canvas = mapFrame(wb).locator('canvas').first();
  await canvas.waitFor({ timeout: 90_000 });
  const drawnBy = Date.now() + 90_000;
  let drawn = '0';
  while (Date.now() < drawnBy && drawn === '0') {
    drawn = (await canvas.getAttribute('data-drawn')) ?? '0';
    if (drawn === '0') await wb.page.waitForTimeout(500);
  }
  const points = await canvas.getAttribute('data-points');
  const title = (await mapFrame(wb).locator('.pane h2').first().innerText()).replace(/\s+/g, ' ');
  const legend = await mapFrame(wb).locator('.legend li').count();
  t.diagnostic(`map: ${title}; points ${points}, drawn ${drawn}, ${legend} chapters in the legend`);
  assert.equal(points, '27');
  assert.equal(drawn, '27', 'not every point was drawn');
  assert.match(title, /ICD-10-CM · 27 codes · demo model/);
  assert.ok(legend >= 5, 'the legend lists too few chapters');
  const box = await canvas.boundingBox();
  assert.ok(box && box.width > 100 && box.height > 100, `the canvas is too small: ${JSON.stringify(box)}`);
  // searching marks codes and counts them
  await mapFrame(wb).locator('#search').fill('diabetes');
  await wb.page.waitForTimeout(500);
  const status = await mapFrame(wb).locator('#status').innerText();
  t.diagnostic(`search "diabetes": ${status}`);
  assert.match(status, /^4 codes match$/);
  const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
  assert.deepEqual(errors, []);
});
