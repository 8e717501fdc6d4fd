/**
 * Labelling in real VS Code (code-server + Chromium): two spans labelled with
 * "Clinical: Label Selection..." (its keybinding) are drawn with a border in
 * their label's colour and written to the .ann beside the note; then a head
 * trained from the workspace's labels ("Clinical: Train Head from Labels...")
 * shows its report, is put to use from the notification, and its entities are
 * highlighted in a note.
 *
 * The encoder is a tiny random one made for this test (make-test-model) with
 * its demo flag taken off: the extension rightly switches model entities off
 * for a demo encoder, and this scenario is about the label -> train -> use
 * loop, whose learnable task (a word decides its entity) does not need a real
 * encoder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labelColourSlot } from '../../src/features/labels/labelChoices';
import { repoRoot } from './harness/codeServer';
import { manifestColour, sameColour, type ThemeKind } from './harness/colours';
import { makeWorkspace, manifest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';
import type { Workbench } from './harness/workbench';

const note = 'e2e-label.txt';
const noteText = 'FOLLOW UP NOTE (synthetic, for end-to-end tests)\n\nPatient seen today with cough and was started on albuterol.\n';
/** a note the trained head tags: its words are among the labelled demo notes' entities */
const predictNote = 'e2e-predict.txt';
const commands = manifest.contributes?.commands ?? [];
const labelCommand = commands.find((c) => c.command === 'clinicalModernbert.labelSelection');
const trainCommand = commands.find((c) => c.command === 'clinicalModernbert.trainHead');

/** A tiny random encoder without the demo flag, made once per run. */
function makeEncoder(): string | undefined {
  const cli = join(repoRoot, 'dist', 'cli.js');
  if (!existsSync(cli)) return undefined;
  const dir = join(mkdtempSync(join(tmpdir(), 'cmb-e2e-encoder-')), 'encoder');
  const r = spawnSync(process.execPath, [cli, 'make-test-model', '--arch', 'modernbert', '--out', dir], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  delete config.cmb_test_model;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

let workspace = '';
const encoder = labelCommand ? makeEncoder() : undefined;

const { scenario } = session(
  'labelling',
  () => {
    workspace = makeWorkspace({ [note]: noteText, [predictNote]: 'CLINIC NOTE (synthetic)\nPresents with nausea and was started on insulin. Vitals stable.\n' });
    cpSync(join(repoRoot, 'demo', 'labelled'), join(workspace, 'labelled'), { recursive: true });
    return {
      vsix: vsixUnderTest(),
      workspace,
      settings: {
        ...quietSettings,
        'security.workspace.trust.enabled': false,
        'files.autoSave': 'off',
        // highlights in this session come from the trained head only: the built-in lexicon colours
        // "nausea" and "insulin" the same way, and would pass the check before the head is used
        'clinicalModernbert.entities.defaultLexicon': false,
        ...(encoder ? { 'clinicalModernbert.modelPath': encoder } : {}),
      },
    };
  },
  !labelCommand ? 'the extension does not contribute clinicalModernbert.labelSelection yet' : false,
);

/** Labels the first occurrence of `text` in the open note with `label`, by the keybinding and the picker. */
async function label(wb: Workbench, text: string, name: string): Promise<void> {
  const { page } = wb;
  await wb.selectText(text);
  await page.keyboard.press('Control+Alt+L');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  // the project's labels (from labelled/*.ann) are listed; the typed name picks the existing one
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

scenario('two spans labelled by command are drawn in their label colours and written to the .ann', async (t, wb) => {
  const { page } = wb;
  await wb.openFile(note);
  await label(wb, 'cough', 'Problem');
  await label(wb, 'albuterol', 'Drug');

  type Borders = Awaited<ReturnType<typeof wb.bordersAt>>;
  const seen: Record<string, Borders> = {};
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const w of ['cough', 'albuterol']) seen[w] = await wb.bordersAt(w).catch(() => []);
    if ((seen.cough!.length && seen.albuterol!.length) || Date.now() > deadline) break;
    await page.waitForTimeout(250);
  }
  t.diagnostic(`borders: ${JSON.stringify(seen)}`);
  const theme = (await wb.decorationsAt('cough')).theme as ThemeKind;
  for (const [word, name] of [['cough', 'Problem'], ['albuterol', 'Drug']] as const) {
    const want = manifestColour(`clinicalModernbert.label.${labelColourSlot(name)}`, theme);
    assert.ok(want, `the manifest has no default colour for ${name}'s slot`);
    assert.ok(seen[word]!.some((b) => sameColour(b.colour, want) && b.style === 'solid'), `"${word}" has no solid border in the ${name} colour: ${JSON.stringify(seen[word])}`);
  }

  // the note had no unsaved edits, so the .ann beside it is written at once
  const ann = join(workspace, note.replace(/\.txt$/, '.ann'));
  const annDeadline = Date.now() + 10_000;
  while (!existsSync(ann) && Date.now() < annDeadline) await page.waitForTimeout(200);
  const lines = readFileSync(ann, 'utf8').trim().split('\n');
  const at = (w: string) => noteText.indexOf(w);
  assert.deepEqual(lines, [`T1\tProblem ${at('cough')} ${at('cough') + 5}\tcough`, `T2\tDrug ${at('albuterol')} ${at('albuterol') + 9}\talbuterol`]);

  const hover = await wb.hover('albuterol', 20_000, /your label/);
  assert.match(hover, /Drug/);
  assert.match(hover, /Remove/);

  // the Labels view lists the note with its two spans, beside the labelled demo notes
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*labels\s*$/i }) });
  await pane.locator('.pane-header').click();
  const row = pane.locator('.monaco-list-row', { hasText: note });
  await row.first().waitFor({ timeout: 20_000 });
  const rowText = (await row.first().innerText()).replace(/\s+/g, ' ');
  t.diagnostic(`Labels view: ${rowText}`);
  assert.match(rowText, /2 spans/);
  assert.ok(await pane.locator('.monaco-list-row', { hasText: 'note-01.txt' }).count(), 'the labelled demo notes are not listed');

  const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
  assert.deepEqual(errors, []);
});

scenario(
  'a head trained from the labels shows its report, is used at once, and highlights entities',
  async (t, wb) => {
    const { page } = wb;
    const input = page.locator('.quick-input-widget input');
    const choose = async (row: string) => {
      await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ timeout: 60_000 });
      await input.fill(row);
      await page.keyboard.press('Enter');
    };
    const answer = async (value: string) => {
      await page.locator('.quick-input-widget .quick-input-message, .quick-input-widget input').first().waitFor({ timeout: 60_000 });
      await input.fill(value);
      await page.keyboard.press('Enter');
    };
    assert.ok(await wb.runCommand(`${trainCommand!.category}: ${trainCommand!.title}`), 'the palette does not offer Train Head from Labels');
    await choose('Entities');
    await choose('Labelled notes in this workspace');
    // the model loads on first use, then the head's name and the epochs are asked
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'name' }).waitFor({ timeout: 120_000 });
    await answer('e2e-entities');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'epochs' }).waitFor({ timeout: 20_000 });
    await answer('20');
    const started = Date.now();

    // the report opens when training ends
    const report = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await report.locator('h1', { hasText: 'Training report' }).waitFor({ timeout: 300_000 });
    const headlineText = await report.locator('.headline').first().innerText();
    t.diagnostic(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s: ${headlineText}`);
    const f1 = Number(/Entity F1 ([\d.]+)/.exec(headlineText)?.[1]);
    assert.ok(f1 >= 0.9, `test entity F1 ${f1} on the learnable demo labels`);
    for (const l of ['Problem', 'Drug']) assert.ok(await report.locator('th[scope="row"]', { hasText: l }).count(), `no row for ${l} in the report`);
    assert.equal(await report.locator('svg[role="img"]').count(), 2, 'the loss and dev-F1 curves');
    await wb.screenshot('labelling-training-report');

    // "Use head e2e-entities for entities now?" -> Use: the setting is written and the model reloads
    const toast = page.locator('.notification-list-item', { hasText: 'Use head e2e-entities' });
    await toast.waitFor({ timeout: 30_000 });
    await toast.locator('.monaco-button', { hasText: /^Use$/ }).click();
    // the workspace setting is written before the model reloads with the head
    const settingsFile = join(workspace, '.vscode', 'settings.json');
    const headSet = () => existsSync(settingsFile) && JSON.parse(readFileSync(settingsFile, 'utf8'))['clinicalModernbert.tokenHead'] === 'e2e-entities';
    for (const until = Date.now() + 30_000; !headSet() && Date.now() < until; ) await page.waitForTimeout(250);

    await wb.openFile(predictNote);
    const theme = (await wb.decorationsAt('nausea')).theme as ThemeKind;
    const problem = manifestColour('clinicalModernbert.entity.problem', theme)!;
    const drug = manifestColour('clinicalModernbert.entity.drug', theme)!;
    let seen: Record<string, string[]> = {};
    const deadline = Date.now() + 90_000;
    for (;;) {
      seen = { nausea: (await wb.decorationsAt('nausea').catch(() => ({ backgrounds: [] }))).backgrounds, insulin: (await wb.decorationsAt('insulin').catch(() => ({ backgrounds: [] }))).backgrounds };
      if ((seen.nausea!.some((b) => sameColour(b, problem)) && seen.insulin!.some((b) => sameColour(b, drug))) || Date.now() > deadline) break;
      await page.waitForTimeout(500);
    }
    t.diagnostic(`entity backgrounds: ${JSON.stringify(seen)}`);
    assert.ok(seen.nausea!.some((b) => sameColour(b, problem)), `"nausea" is not highlighted as a problem by the new head: ${JSON.stringify(seen.nausea)}`);
    assert.ok(seen.insulin!.some((b) => sameColour(b, drug)), `"insulin" is not highlighted as a drug by the new head: ${JSON.stringify(seen.insulin)}`);
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'));
    assert.equal(settings['clinicalModernbert.tokenHead'], 'e2e-entities');
    assert.ok(existsSync(join(encoder!, 'heads', 'e2e-entities', 'metrics.json')), 'the head folder has its metrics.json');
    const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
    assert.deepEqual(errors, []);
  },
  !trainCommand ? 'the extension does not contribute clinicalModernbert.trainHead yet' : !encoder ? 'no test encoder (dist/cli.js make-test-model failed)' : false,
);

scenario(
  'a note changed outside VS Code: its labels are read again, flagged for review, and kept where the user says',
  async (t, wb) => {
    const { page } = wb;
    // the note is still open from the first scenario
    await page.locator('.tab', { hasText: note }).first().click();
    await page.locator('.tab.active', { hasText: note }).waitFor({ timeout: 10_000 });
    const notePath = join(workspace, note);
    const annPath = join(workspace, note.replace(/\.txt$/, '.ann'));
    const annBefore = readFileSync(annPath, 'utf8');
    // another program adds a line at the top: every offset in the .ann is now 36 characters off
    const addendum = 'ADDENDUM (synthetic): seen again.\n\n';
    writeFileSync(notePath, addendum + readFileSync(notePath, 'utf8'));

    let borders: Awaited<ReturnType<typeof wb.bordersAt>> = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      borders = await wb.bordersAt('cough').catch(() => []);
      if (borders.some((b) => b.style === 'dashed')) break;
      await page.waitForTimeout(300);
    }
    t.diagnostic(`borders after the outside change: ${JSON.stringify(borders)}`);
    assert.ok(borders.some((b) => b.style === 'dashed'), 'the label is not flagged for review (dashed border) after the note changed on disk');
    const hover = await wb.hover('cough', 20_000, /changed outside/);
    assert.match(hover, /Keep/);
    // nothing was decided yet: the .ann is as it was
    assert.equal(readFileSync(annPath, 'utf8'), annBefore);

    // select all, "Clinical: Keep Label": both labels are kept where they are now, and the .ann follows
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    assert.ok(await wb.runCommand('Clinical: Keep Label'), 'the palette does not offer Keep Label');
    const text = readFileSync(notePath, 'utf8');
    const want = [`T1\tProblem ${text.indexOf('cough')} ${text.indexOf('cough') + 5}\tcough`, `T2\tDrug ${text.indexOf('albuterol')} ${text.indexOf('albuterol') + 9}\talbuterol`];
    const annDeadline = Date.now() + 10_000;
    let lines: string[] = [];
    while (Date.now() < annDeadline) {
      lines = readFileSync(annPath, 'utf8').trim().split('\n');
      if (lines.join('\n') === want.join('\n')) break;
      await page.waitForTimeout(200);
    }
    assert.deepEqual(lines, want);
    await page.keyboard.press('Escape');
    const solid = await wb.bordersAt('cough');
    assert.ok(solid.length && solid.every((b) => b.style === 'solid'), `the kept label is still flagged: ${JSON.stringify(solid)}`);
    const errors = (await wb.notifications()).filter((n) => n.severity === 'error');
    assert.deepEqual(errors, []);
  },
);
