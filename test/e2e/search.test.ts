/**
 * The "Clinical Search" view in real VS Code (code-server + Chromium): it indexes
 * the demo notes, says that the demo model matches by words only, shows results
 * with highlighted snippets, and opens a result with its passage selected.
 * The view is a webview: an iframe (the workbench's host) holding the page's own
 * iframe (#active-frame), so its elements are reached through two frame locators.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './harness/codeServer';
import { makeWorkspace, manifest, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';

// Words of one demo note: a drug and a diagnosis that appear together only there.
const query = 'albuterol asthma';
const expectedNote = '17-ed-note-asthma.txt';

const demoNotes = readdirSync(join(repoRoot, 'demo', 'notes')).length;
const contributesView = JSON.stringify(manifest.contributes ?? {}).includes('clinicalModernbert.searchView');

const { scenario } = session(
  'search',
  () => {
    const model = modelUnderTest();
    return {
      vsix: vsixUnderTest(),
      workspace: makeWorkspace(),
      settings: { ...quietSettings, 'security.workspace.trust.enabled': false, ...(model ? { 'clinicalModernbert.modelPath': model } : {}) },
    };
  },
  !contributesView ? 'the extension does not contribute the Clinical Search view yet' : !modelUnderTest() ? 'no demo model (E2E_MODEL): the lexical-only notice names the demo model' : false,
);

scenario('search view finds and opens a note', async (t, wb) => {
  const { page } = wb;
  // The activity bar entry of the view container "Clinical Search".
  const entry = page.locator('.activitybar .action-label[aria-label^="Clinical Search"]').first();
  await entry.waitFor({ timeout: 60_000 });
  await entry.click();
  // A container with one view shows the view's name as the side bar's title, without a pane header.
  await page.locator('.sidebar .composite.title', { hasText: /Clinical Search/i }).first().waitFor({ timeout: 20_000 });

  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  const input = view.locator('#query');
  await input.waitFor({ timeout: 60_000 });
  await input.click();
  await page.keyboard.type(query, { delay: 20 });
  await page.keyboard.press('Enter');

  // The first search indexes the folder first (a progress notification), then answers.
  const first = view.locator('li.result').first();
  await first.waitFor({ timeout: 120_000 });
  const status = (await view.locator('#status').innerText()).trim();
  const notice = (await view.locator('#notice').innerText()).trim();
  t.diagnostic(`status: ${status}; notice: ${notice}`);
  assert.match(status, /^\d+ notes?$/, 'the view does not say how many notes matched');
  assert.ok(await view.locator('#notice').isVisible(), 'the lexical-only notice is hidden');
  assert.match(notice, /^Lexical only: .*demo or random-weight model.*words only/i);

  // Every demo note was indexed, by words: the index's status bar entry says so ("33 notes (words)").
  const indexed = await wb.waitForStatusBar(/\d+ notes? \(/, 20_000);
  t.diagnostic(`index status bar: ${indexed}`);
  assert.match(indexed, new RegExp(`\\b${demoNotes} notes \\(words\\)`), `not all ${demoNotes} demo notes were indexed`);

  const paths = (await view.locator('li.result .path').allInnerTexts()).map((p) => p.trim());
  t.diagnostic(`results: ${JSON.stringify(paths.slice(0, 5))}`);
  assert.equal(paths[0], `notes/${expectedNote}`, `the best match is not ${expectedNote}`);
  const marks = (await first.locator('.snippet mark').allInnerTexts()).map((m) => m.toLowerCase());
  t.diagnostic(`first snippet: ${(await first.locator('.snippet').innerText()).replace(/\s+/g, ' ').slice(0, 200)}; marks ${JSON.stringify(marks)}`);
  assert.ok(marks.length > 0, 'the first snippet highlights nothing');
  // The snippet is clamped to a few lines: its first highlighted word must be inside what is shown.
  const shown = await first.locator('.snippet').boundingBox();
  const mark = await first.locator('.snippet mark').first().boundingBox();
  assert.ok(shown && mark && mark.height > 0 && mark.y + mark.height <= shown.y + shown.height + 1, `the first highlighted word is clipped from the snippet: ${JSON.stringify({ shown, mark })}`);
  for (const m of marks) assert.ok(query.split(' ').some((w) => m.includes(w)), `"${m}" is highlighted but is not a query word`);

  // Keyboard: Down moves from the query to the first result, Enter opens it.
  await page.keyboard.press('ArrowDown');
  assert.equal(await first.getAttribute('aria-selected'), 'true', 'Down did not select the first result');
  await page.keyboard.press('Enter');

  await page.locator('.tab.active', { hasText: expectedNote }).waitFor({ timeout: 20_000 });
  // "Ln 7, Col 1 (312 selected)": the passage is selected in the active editor.
  const selection = await wb.waitForStatusBar(/Ln \d+, Col \d+ \(\d+ selected\)/, 20_000);
  t.diagnostic(`editor: ${expectedNote}, ${selection}`);
  const selectedText = await page.locator('.monaco-editor .selected-text').count();
  assert.ok(selectedText > 0, 'no selection is drawn in the editor');
});
