/**
 * The built-in clinical lexicon (media/lexicon/clinical-lexicon.txt) as the
 * engine loads it: its types and size, the abbreviations it finds, and the
 * ambiguous readings it leaves alone (docs/lexicon.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLexiconPath, loadDefaultLexicon, parseDefaultLexicon } from '../../../src/engine/tasks/defaultLexicon';
import { DEFAULT_CONTEXT_RULES } from '../../../src/engine/tasks/lexiconRules';
import { EngineError } from '../../../src/engine/errors';

const { lexicon } = loadDefaultLexicon();
const found = (text: string) => lexicon.match(text).map((m) => [text.slice(m.start, m.end), m.type]);
const words = (text: string) => lexicon.match(text).map((m) => text.slice(m.start, m.end));

test('the built-in lexicon has problems, drugs, tests, procedures and anatomy, hundreds to thousands of terms each', () => {
  assert.deepEqual([...lexicon.types], ['problem', 'drug', 'test', 'procedure', 'anatomy']);
  const sections = parseDefaultLexicon(readFileSync(defaultLexiconPath()!, 'utf8'));
  const per = new Map<string, number>();
  for (const s of sections) per.set(s.type, (per.get(s.type) ?? 0) + s.terms.length);
  for (const type of ['problem', 'drug', 'test', 'procedure', 'anatomy']) assert.ok(per.get(type)! >= 1000, `${type}: ${per.get(type)} terms`);
  assert.ok(lexicon.termCount >= 20_000, `${lexicon.termCount} terms`);
});

test('common clinical abbreviations and names are found with their types', () => {
  const text = 'PMH: HTN, DM2, CAD s/p CABG, COPD, CHF, AFib. SOB and chest pain. Meds: ASA, metoprolol, Lasix, KCl. Labs: CBC, BMP, troponin, HbA1c. CT head, MRI brain, echocardiogram. Lungs clear. RUQ tenderness.';
  assert.deepEqual(found(text), [
    ['HTN', 'problem'], ['DM2', 'problem'], ['CAD', 'problem'], ['CABG', 'procedure'], ['COPD', 'problem'], ['CHF', 'problem'], ['AFib', 'problem'],
    ['SOB', 'problem'], ['chest pain', 'problem'],
    ['ASA', 'drug'], ['metoprolol', 'drug'], ['Lasix', 'drug'], ['KCl', 'drug'],
    ['CBC', 'test'], ['BMP', 'test'], ['troponin', 'test'], ['HbA1c', 'test'],
    ['CT head', 'test'], ['MRI brain', 'test'], ['echocardiogram', 'test'],
    ['Lungs', 'anatomy'], ['RUQ', 'anatomy'],
  ]);
});

test('ambiguous short words are not entities: "as", "all", miles, Ms., the word "aids", patient initials', () => {
  assert.deepEqual(words('Seen as above; all planes; walked 2 mi; Ms. Wilson; hearing aids; sob story; pt is well; ed visit; od once'), []);
  assert.deepEqual(words('AF reports 10/10 pain'), ['pain'], '"AF" (initials, ankle flexion, atrial fibrillation) is left out');
});

test('context rules: PE tubes, the "PE:" header and school PE are not pulmonary embolism; "Lungs: CTA" is not CT angiography', () => {
  assert.deepEqual(found('r/o PE; DVT/PE prophylaxis'), [['PE', 'problem'], ['DVT', 'problem'], ['PE', 'problem']]);
  assert.deepEqual(words('Bilateral PE tubes placed. PE: normal. He is doing PE at school; not to participate in any PE.'), []);
  assert.deepEqual(words('Lungs: CTA. Chest CTA bilaterally.'), ['Lungs', 'Chest']);
  assert.deepEqual(found('CTA head/neck: occlusion'), [['CTA', 'test'], ['head', 'anatomy'], ['neck', 'anatomy']]);
  assert.deepEqual(words('delivered from OA position'), []);
  assert.ok(DEFAULT_CONTEXT_RULES.every((r) => r.reading.length > 0));
});

test('blocklisted words that ICD titles reduce to are not highlighted', () => {
  assert.deepEqual(words('Blood pressure 120/80, female, acute distress, no matter, 3-0 chromic, in satisfactory condition'), ['Blood pressure']);
});

test('a damaged or missing built-in lexicon is an error the user can act on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-deflex-'));
  try {
    const bad = join(dir, 'clinical-lexicon.txt');
    writeFileSync(bad, 'fever\n@problem own\ncough\n');
    assert.throws(() => loadDefaultLexicon(bad), (e: unknown) => e instanceof EngineError && /damaged \(line 1\).*reinstall/.test(e.message));
    writeFileSync(bad, '@problem\ncough\n');
    assert.throws(() => loadDefaultLexicon(bad), (e: unknown) => e instanceof EngineError && /line 1/.test(e.message));
    assert.throws(() => loadDefaultLexicon(join(dir, 'missing.txt')), (e: unknown) => e instanceof EngineError && e.code === 'missing-file' && /lexiconFolder/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
