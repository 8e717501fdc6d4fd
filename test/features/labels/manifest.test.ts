/**
 * The labelling feature's contributions: every command it registers is
 * declared in the Clinical category, the keybinding only applies with a
 * selection in a note language, the view and the label colours exist, and the
 * feature loads no native package (it may use the pure dataset code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_COLOUR_SLOTS } from '../../../src/features/labels/labelChoices';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dir = join(root, 'src/features/labels');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
const source = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');

test('every labelling command is declared in the manifest, in the Clinical category', () => {
  const constants = new Map([...source.matchAll(/export const (\w+_COMMAND) = '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const registered = [...source.matchAll(/registerCommand\((\w+)/g)].map((m) => constants.get(m[1]!) ?? m[1]!);
  assert.ok(registered.length >= 7, `${registered.length} commands found`);
  const declared = new Map<string, { category: string; title: string }>(manifest.contributes.commands.map((c: { command: string }) => [c.command, c]));
  for (const id of registered) {
    assert.ok(declared.has(id), `${id} is in contributes.commands`);
    assert.equal(declared.get(id)!.category, 'Clinical');
  }
  const titles = [...declared.values()].map((c) => `${c.category}: ${c.title}`);
  for (const t of ['Clinical: Label Selection...', 'Clinical: Label Note...', 'Clinical: Remove Label', 'Clinical: Accept Suggestions in Selection']) assert.ok(titles.includes(t), t);
});

test('Label Selection has a keybinding that needs a selection in a note language', () => {
  const kb = manifest.contributes.keybindings.find((k: { command: string }) => k.command === 'clinicalModernbert.labelSelection');
  assert.ok(kb);
  assert.equal(kb.key, 'ctrl+alt+l');
  assert.equal(kb.mac, 'cmd+alt+l');
  assert.match(kb.when, /editorHasSelection/);
  assert.match(kb.when, /editorLangId in clinicalModernbert\.labelLanguages/);
  assert.match(source, /LABEL_LANGUAGES_CONTEXT = 'clinicalModernbert\.labelLanguages'/);
});

test('the Labels view and a border colour per slot, plus the review colour, are contributed', () => {
  assert.ok(manifest.contributes.views.explorer.some((v: { id: string }) => v.id === 'clinicalModernbert.labels'));
  assert.match(source, /LABELS_VIEW = 'clinicalModernbert\.labels'/);
  const colours = new Map(manifest.contributes.colors.map((c: { id: string; defaults: Record<string, string> }) => [c.id, c.defaults]));
  for (let i = 1; i <= LABEL_COLOUR_SLOTS; i++) {
    const d = colours.get(`clinicalModernbert.label.${i}`) as Record<string, string> | undefined;
    assert.ok(d, `slot ${i}`);
    for (const theme of ['dark', 'light', 'highContrast', 'highContrastLight']) assert.match(d[theme]!, /^#[0-9a-f]{6}$/i, `slot ${i} ${theme} is an opaque colour`);
  }
  assert.ok(colours.has('clinicalModernbert.label.review'));
});

test('the labelling feature never loads native packages', () => {
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.doesNotMatch(text, /from '(sqlite3|sqlite-vec|onnxruntime-node)'/, f);
    for (const m of text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)) {
      if (m[1]!.includes('engine/')) assert.match(m[1]!, /engine\/data\//, `${f} imports engine code other than the pure dataset modules: ${m[1]}`);
    }
  }
});
