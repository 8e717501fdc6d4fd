/**
 * The packaged extension in real VS Code (code-server + Chromium): it activates,
 * the status bar shows model and provider, ICD codes have hovers, and every
 * contributed command is in the palette and runs without an error notification.
 * Run with `npm run test:e2e`; a screenshot per scenario lands in test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeZip } from '../zipWriter';
import { session, quietSettings } from './harness/session';
import { contributesIcd, folderFiles, icdFixtureCode, icdFixtureDir, makeWorkspace, manifest, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { manifestColour, sameColour } from './harness/colours';

const icd = icdFixtureCode();
const hoverNote = 'e2e-icd-hover.txt';
const entityNote = 'e2e-entities.txt';
let lexiconFolder = '';

// "Install ICD Code Sets" downloads the official CMS zips; here it gets the fixture release,
// zipped, from a server on 127.0.0.1 (clinicalModernbert.icd.downloadUrls), so it works offline.
const releaseServer = createServer((req, res) => {
  if (req.url !== '/icd-release.zip' || !existsSync(icdFixtureDir)) return void res.writeHead(404).end();
  const zip = writeZip(folderFiles(icdFixtureDir).map((f) => ({ name: f.name, data: readFileSync(f.path) })));
  res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length }).end(zip);
});
after(() => new Promise<void>((r) => releaseServer.close(() => r())));

const { scenario } = session('workbench', async () => {
  await new Promise<void>((r) => releaseServer.listen(0, '127.0.0.1', () => r()));
  const releaseUrl = `http://127.0.0.1:${(releaseServer.address() as AddressInfo).port}/icd-release.zip`;
  const model = modelUnderTest();
  const workspace = makeWorkspace({
    [hoverNote]: [
      'PROGRESS NOTE (synthetic, for end-to-end tests)',
      '',
      `Assessment: ${icd?.code ?? 'E11.9'} on metformin; hx 250.00; s/p 0DTJ4ZZ.`,
      'Patient denies chest pain.',
      '',
    ].join('\n'),
    [entityNote]: [
      'ED NOTE (synthetic, for end-to-end tests)',
      'Chest pain at rest since this morning; troponin pending.',
      'Patient denies shortness of breath.',
      '',
    ].join('\n'),
    // Term lists highlight without a trained model (the demo model's random head is not used for entities).
    'lexicon/problem.txt': '# e2e\nchest pain\nshortness of breath\n',
    'lexicon/test.txt': 'troponin\n',
  });
  lexiconFolder = join(workspace, 'lexicon');
  return {
    vsix: vsixUnderTest(),
    workspace,
    settings: {
      ...quietSettings,
      'security.workspace.trust.enabled': false,
      ...(model ? { 'clinicalModernbert.modelPath': model } : {}),
      'clinicalModernbert.lexiconFolder': lexiconFolder,
      ...(existsSync(icdFixtureDir) ? { 'clinicalModernbert.icd.localFolder': icdFixtureDir, 'clinicalModernbert.icd.downloadUrls': [releaseUrl] } : {}),
    },
  };
});

scenario('the extension from the VSIX is installed and activates', async (t, wb) => {
  // The Running Extensions editor lists activated extensions by display name and version.
  const name = manifest.displayName ?? manifest.name;
  assert.ok(await wb.runCommand('Developer: Show Running Extensions'), 'the palette has no "Developer: Show Running Extensions"');
  const row = wb.page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: name }).filter({ hasText: manifest.version }).first();
  await row.waitFor({ timeout: 60_000 });
  // "Activation: 17ms" (or "Startup Activation") once activate() has returned.
  await row.filter({ hasText: /Activation: \d/ }).waitFor({ timeout: 60_000 });
  t.diagnostic(`running extensions entry: ${(await row.innerText()).replace(/\s+/g, ' ')}`);
  await wb.pressEscape();
});

scenario('the status bar shows the model and the execution provider', async (t, wb) => {
  const before = await wb.waitForStatusBar(/CMB/, 60_000);
  t.diagnostic(`status bar before first use: ${before}`);
  // The model loads on first use; clicking the entry (model info) is a first use.
  await wb.page.locator('.statusbar .statusbar-item', { hasText: 'CMB' }).first().click();
  // "CMB: demo (cpu)": a model name and, once loaded, the provider in parentheses.
  const text = await wb.waitForStatusBar(/CMB\S*:?\s*\S+.*\((?!not loaded)[^)]+\)/, 120_000);
  t.diagnostic(`status bar: ${text}`);
  await wb.pressEscape(2);
});

scenario(
  'hovering an ICD code shows its description',
  async (t, wb) => {
    assert.ok(icd, 'no ICD fixture code found');
    await wb.openFile(hoverNote);
    // The first words of the fixture's title; the code sets install in the background first.
    const words = icd.description.split(/\s+/).slice(0, 3).join(' ');
    const expected = new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    const text = await wb.hover(icd.code, 90_000, expected);
    t.diagnostic(`hover over ${icd.code}: ${text.slice(0, 300)}`);
    assert.match(text, expected);
  },
  !contributesIcd()
    ? 'the extension does not contribute the ICD feature yet (no command with "icd" in package.json)'
    : !icd
      ? `no ICD fixture code sets in ${icdFixtureDir}`
      : false,
);

scenario(
  'entities are highlighted in their type colours, negated ones struck through',
  async (t, wb) => {
    await wb.openFile(entityNote);
    const deadline = Date.now() + 60_000;
    let seen = await wb.decorationsAt('Chest pain');
    while (seen.backgrounds.length === 0 && Date.now() < deadline) {
      await wb.page.waitForTimeout(500);
      seen = await wb.decorationsAt('Chest pain');
    }
    t.diagnostic(`theme ${seen.theme}; "Chest pain": ${JSON.stringify(seen)}`);
    const problem = manifestColour('clinicalModernbert.entity.problem', seen.theme);
    const test = manifestColour('clinicalModernbert.entity.test', seen.theme);
    assert.ok(problem && test, 'the manifest has no default colours for problem and test entities');
    assert.ok(seen.backgrounds.some((b) => sameColour(b, problem)), `"Chest pain" is not drawn in the problem colour: ${JSON.stringify(seen.backgrounds)}`);

    const troponin = await wb.decorationsAt('troponin');
    t.diagnostic(`"troponin": ${JSON.stringify(troponin)}`);
    assert.ok(troponin.backgrounds.some((b) => sameColour(b, test)), `"troponin" is not drawn in the test colour: ${JSON.stringify(troponin.backgrounds)}`);

    const negated = await wb.decorationsAt('shortness of breath');
    t.diagnostic(`"shortness of breath": ${JSON.stringify(negated)}`);
    assert.ok(negated.backgrounds.some((b) => sameColour(b, problem)), `"shortness of breath" is not drawn in the problem colour`);
    assert.ok(negated.textDecorations.some((d) => /line-through/.test(d)), `negated "shortness of breath" is not struck through: ${JSON.stringify(negated.textDecorations)}`);
  },
  !(manifest.contributes?.colors ?? []).some((c) => c.id === 'clinicalModernbert.entity.problem') ? 'the extension contributes no entity colours yet' : false,
);

scenario('every contributed command is in the command palette and runs without an error notification', async (t, wb) => {
  const commands = manifest.contributes?.commands ?? [];
  assert.ok(commands.length > 0, 'package.json contributes no commands');
  const hidden = new Map((manifest.contributes?.menus?.commandPalette ?? []).map((m) => [m.command, m.when ?? '']));

  // Commands that work on a note get one, with a selection.
  await wb.openFile('03-ed-note-chest-pain.txt');
  await wb.page.locator('.monaco-editor .view-lines').first().click();
  await wb.page.keyboard.press('Control+Home');
  await wb.page.keyboard.press('Shift+End');

  const failures: string[] = [];
  for (const c of commands) {
    const label = c.category ? `${c.category}: ${c.title}` : c.title;
    if (hidden.get(c.command) === 'false') {
      t.diagnostic(`${c.command}: hidden from the palette by its manifest (when: false), not run`);
      continue;
    }
    await wb.clearNotifications();
    if (!(await wb.runCommand(label))) {
      failures.push(`${c.command}: "${label}" is not in the command palette${hidden.has(c.command) ? ` (when: ${hidden.get(c.command)})` : ''}`);
      continue;
    }
    await wb.page.waitForTimeout(2_000);
    await wb.screenshot(`command-${c.command.split('.').pop()}`);
    const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
    // Dialogs and commands that ask for input (a folder picker, a quick pick) are dismissed, not answered.
    await wb.pressEscape(2);
    for (const e of errors) failures.push(`${c.command}: error notification "${e.text}"`);
    t.diagnostic(`${c.command}: ran${errors.length ? `, ${errors.length} error(s)` : ''}`);
  }
  assert.deepEqual(failures, []);
});
