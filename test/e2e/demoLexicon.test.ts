/**
 * Issue 14: a new user who opens the first demo note sees entities at once,
 * from the built-in clinical lexicon: no lexicon folder is configured and the
 * demo model has no trained head. Problems, drugs, tests and procedures are
 * drawn in their type colours and the negated "chest pain" ("He denies chest
 * pain") is struck through.
 */
import assert from 'node:assert/strict';
import { manifestColour, sameColour, type ThemeKind } from './harness/colours';
import { makeWorkspace, manifest, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';

const note = '01-discharge-summary-chf-exacerbation.txt';

const { scenario } = session(
  'demoLexicon',
  () => {
    const model = modelUnderTest();
    return {
      vsix: vsixUnderTest(),
      workspace: makeWorkspace(),
      settings: {
        ...quietSettings,
        'security.workspace.trust.enabled': false,
        ...(model ? { 'clinicalModernbert.modelPath': model } : {}),
      },
    };
  },
  !(manifest.contributes?.colors ?? []).some((c) => c.id === 'clinicalModernbert.entity.procedure') ? 'the extension contributes no procedure colour yet' : false,
);

scenario('the first demo note shows highlighted entities from the built-in lexicon, negations struck through', async (t, wb) => {
  const { page } = wb;
  const openedAt = Date.now();
  await wb.openFile(note);

  const want = {
    HFrEF: 'problem',
    apixaban: 'drug',
    TTE: 'test',
    PCI: 'procedure',
    furosemide: 'drug',
    'chest pain': 'problem',
  } as const;
  type Seen = Awaited<ReturnType<typeof wb.decorationsAt>>;
  const seen: Partial<Record<keyof typeof want, Seen>> = {};
  let lastError = '';
  const read = async () => {
    try {
      for (const term of Object.keys(want) as Array<keyof typeof want>) seen[term] = await wb.decorationsAt(term);
    } catch (e) {
      lastError = (e as Error).message;
      return false;
    }
    return Object.values(seen).every((s) => s.backgrounds.length > 0) && seen['chest pain']!.textDecorations.length > 0;
  };
  // the first note also starts the engine and loads the lexicon
  const deadline = Date.now() + 60_000;
  while (!(await read()) && Date.now() < deadline) await page.waitForTimeout(250);
  t.diagnostic(`decorations ${Date.now() - openedAt} ms after opening the note: ${JSON.stringify(seen)}`);
  await wb.screenshot('demo-lexicon-first-note');
  assert.equal(Object.keys(seen).length, Object.keys(want).length, `the terms were not readable in the editor: ${lastError}`);

  const theme: ThemeKind = seen.HFrEF!.theme;
  for (const [term, type] of Object.entries(want) as Array<[keyof typeof want, string]>) {
    const colour = manifestColour(`clinicalModernbert.entity.${type}`, theme);
    assert.ok(colour, `the manifest has no default colour for ${type}`);
    assert.ok(seen[term]!.backgrounds.some((b) => sameColour(b, colour)), `"${term}" is not drawn in the ${type} colour: ${JSON.stringify(seen[term]!.backgrounds)}`);
  }
  assert.ok(seen['chest pain']!.textDecorations.some((d) => /line-through/.test(d)), `negated "chest pain" is not struck through: ${JSON.stringify(seen['chest pain'])}`);
  for (const term of ['furosemide', 'apixaban', 'HFrEF'] as const) {
    assert.ok(!seen[term]!.textDecorations.some((d) => /line-through/.test(d)), `"${term}" is not negated and must not be struck through`);
  }

  // hovering an entity says where it came from
  const hover = await wb.hover('apixaban', 20_000, /lexicon/i);
  assert.match(hover, /drug/i);
  assert.match(hover, /lexicon/i);

  const notices = await wb.notifications();
  t.diagnostic(`notifications: ${JSON.stringify(notices)}`);
  assert.deepEqual(notices.filter((n) => n.severity === 'error'), []);
  assert.ok(!notices.some((n) => /no lexicon is loaded/i.test(n.text)), `the built-in lexicon was not loaded: ${JSON.stringify(notices)}`);
});
