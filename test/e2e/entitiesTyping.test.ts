/**
 * Entity highlighting while typing, in real VS Code (code-server + Chromium): a
 * sentence typed into a note gets its entities drawn in their type colours after
 * the debounce, without saving; the negated one is struck through and the one
 * after the scope terminator "but" is not. The demo model's random head is not
 * used for entities, so the terms come from a lexicon folder the test writes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { manifestColour, sameColour, type ThemeKind } from './harness/colours';
import { makeWorkspace, manifest, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';

const note = 'e2e-typing.txt';
const sentence = 'Patient denies chest pain but reports shortness of breath on metformin.';

const { scenario } = session(
  'entitiesTyping',
  () => {
    const model = modelUnderTest();
    const workspace = makeWorkspace({
      [note]: 'NURSING NOTE (synthetic, for end-to-end tests)\n\n',
      'lexicon/problem.txt': '# e2e\nchest pain\nshortness of breath\n',
      'lexicon/treatment.txt': 'metformin\n',
    });
    return {
      vsix: vsixUnderTest(),
      workspace,
      settings: {
        ...quietSettings,
        'security.workspace.trust.enabled': false,
        // Typed words would otherwise open word suggestions over the text.
        'editor.quickSuggestions': { other: false, comments: false, strings: false },
        'editor.wordBasedSuggestions': 'off',
        // code-server saves after a delay by default; the decorations must follow unsaved text.
        'files.autoSave': 'off',
        ...(model ? { 'clinicalModernbert.modelPath': model } : {}),
        'clinicalModernbert.lexiconFolder': join(workspace, 'lexicon'),
      },
    };
  },
  !(manifest.contributes?.colors ?? []).some((c) => c.id === 'clinicalModernbert.entity.treatment') ? 'the extension contributes no entity colours yet' : false,
);

scenario('typing a sentence into a note shows entity decorations', async (t, wb) => {
  const { page } = wb;
  await wb.openFile(note);
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(sentence, { delay: 15 });
  const typedAt = Date.now();

  type Seen = Awaited<ReturnType<typeof wb.decorationsAt>>;
  const terms = ['chest pain', 'shortness of breath', 'metformin'] as const;
  const seen = {} as Record<(typeof terms)[number], Seen>;
  let lastError = '';
  const read = async () => {
    try {
      for (const term of terms) seen[term] = await wb.decorationsAt(term);
    } catch (e) {
      // the editor re-renders the line while decorations arrive
      lastError = (e as Error).message;
      return false;
    }
    return terms.every((term) => seen[term].backgrounds.length > 0) && seen['chest pain'].textDecorations.length > 0;
  };
  // Tagging runs ~300 ms after the last keystroke; the first run also starts the engine.
  const deadline = Date.now() + 60_000;
  while (!(await read()) && Date.now() < deadline) await page.waitForTimeout(250);
  t.diagnostic(`decorations ${Date.now() - typedAt} ms after the last keystroke: ${JSON.stringify(seen)}`);
  assert.ok(terms.every((term) => seen[term]), `the typed terms were not readable in the editor: ${lastError}`);

  const theme: ThemeKind = seen['chest pain'].theme;
  const problem = manifestColour('clinicalModernbert.entity.problem', theme);
  const treatment = manifestColour('clinicalModernbert.entity.treatment', theme);
  assert.ok(problem && treatment, 'the manifest has no default colours for problem and treatment entities');

  const chest = seen['chest pain'];
  assert.ok(chest.backgrounds.some((b) => sameColour(b, problem)), `"chest pain" is not drawn in the problem colour: ${JSON.stringify(chest.backgrounds)}`);
  assert.ok(chest.textDecorations.some((d) => /line-through/.test(d)), `negated "chest pain" is not struck through: ${JSON.stringify(chest.textDecorations)}`);

  const sob = seen['shortness of breath'];
  assert.ok(sob.backgrounds.some((b) => sameColour(b, problem)), `"shortness of breath" is not drawn in the problem colour: ${JSON.stringify(sob.backgrounds)}`);
  assert.ok(!sob.textDecorations.some((d) => /line-through/.test(d)), `"shortness of breath" comes after "but" and must not be struck through: ${JSON.stringify(sob.textDecorations)}`);

  const drug = seen.metformin;
  assert.ok(drug.backgrounds.some((b) => sameColour(b, treatment)), `"metformin" is not drawn in the treatment colour: ${JSON.stringify(drug.backgrounds)}`);
  assert.ok(!drug.textDecorations.some((d) => /line-through/.test(d)), `"metformin" is not negated and must not be struck through`);

  // Nothing was saved: the decorations follow the typed text, not the file on disk.
  assert.ok(await page.locator('.tab.active.dirty', { hasText: note }).count(), 'the note was saved or is not the active editor');

  // A model is configured and loads on this first use: the user is not told that none is loaded.
  const notices = await wb.notifications();
  t.diagnostic(`notifications: ${JSON.stringify(notices)}`);
  assert.ok(!notices.some((n) => /no model is loaded/i.test(n.text)), `a "no model is loaded" notice while the model was loading: ${JSON.stringify(notices)}`);
  assert.deepEqual(notices.filter((n) => n.severity === 'error'), []);
});
