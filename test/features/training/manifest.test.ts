/**
 * The training commands are declared in the Clinical category, the report's
 * stylesheet and script exist, and the feature talks to the engine only
 * through the client (no engine code at run time, no native packages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dir = join(root, 'src/features/training');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
const source = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');

test('the training commands are declared in the manifest, in the Clinical category', () => {
  const constants = new Map([...source.matchAll(/export const (\w+_COMMAND) = '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const registered = [...source.matchAll(/registerCommand\((\w+)/g)].map((m) => constants.get(m[1]!) ?? m[1]!);
  assert.deepEqual(registered.sort(), ['clinicalModernbert.showTrainingReport', 'clinicalModernbert.trainHead']);
  for (const id of registered) {
    const c = manifest.contributes.commands.find((x: { command: string }) => x.command === id);
    assert.ok(c, `${id} is in contributes.commands`);
    assert.equal(c.category, 'Clinical');
  }
  assert.ok(manifest.contributes.commands.some((c: { command: string; title: string }) => c.command === 'clinicalModernbert.trainHead' && c.title === 'Train Head from Labels...'));
});

test('the report page\'s stylesheet and script are in media/training', () => {
  for (const f of ['report.css', 'report.js']) assert.ok(existsSync(join(root, 'media', 'training', f)), f);
  assert.match(source, /joinPath\(extensionUri, 'media', 'training'\)/);
});

test('the training feature reaches the engine only through the client', () => {
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)) {
      if (m[1]!.includes('engine/')) assert.match(m[1]!, /engine\/errors$/, `${f} imports engine code at run time: ${m[1]}`);
    }
  }
});
