/**
 * The shipped lexicon is reproducible from its named sources: a rebuild from
 * the official CMS files (../shared/data) and the term lists in the repository
 * gives the committed bytes, and every shipped term can be traced to the list
 * or the source file its section names (media/lexicon/NOTICE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDefaultLexicon } from '../../src/engine/tasks/defaultLexicon';

const root = resolve(__dirname, '../..');
const dataDir = resolve(root, '..', 'shared', 'data');
const shipped = readFileSync(join(root, 'media/lexicon/clinical-lexicon.txt'), 'utf8');
const sections = parseDefaultLexicon(shipped);

interface BuildModule {
  TYPES: string[];
  SOURCES: string[];
  SOURCE_FILES: Record<string, string>;
  buildLexicon(o?: { dataDir?: string; naive?: boolean }): { text: string };
  fdaDrugs(text: string): Set<string>;
}
const load = async (): Promise<BuildModule> => (await import(pathToFileURL(join(root, 'scripts/lexicon/build.mjs')).href)) as BuildModule;

function termsOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\s+#.*$/, '').trim());
}

const missingData = (b: BuildModule) => Object.values(b.SOURCE_FILES).find((rel) => !existsSync(join(dataDir, rel)));

test('a rebuild from the sources gives the committed lexicon byte for byte, twice', async (t) => {
  const b = await load();
  const missing = missingData(b);
  if (missing) {
    t.skip(`${join(dataDir, missing)} is absent (a fresh clone without ../shared/data): the rebuild needs the official CMS files`);
    return;
  }
  const first = b.buildLexicon({ dataDir }).text;
  const second = b.buildLexicon({ dataDir }).text;
  assert.equal(first, second, 'two builds differ');
  assert.ok(first === shipped, 'media/lexicon/clinical-lexicon.txt is not what scripts/lexicon/build.mjs builds: run it and commit the result');
});

test('every section names a type and a source listed in NOTICE, in the build order', async () => {
  const b = await load();
  const notice = readFileSync(join(root, 'media/lexicon/NOTICE'), 'utf8');
  for (const s of sections) {
    assert.ok(b.TYPES.includes(s.type), `unknown type ${s.type}`);
    assert.ok(b.SOURCES.includes(s.source), `unknown source ${s.source}`);
    assert.match(notice, new RegExp(`^${s.source}\\s{2,}`, 'm'), `source ${s.source} is not described in NOTICE`);
  }
  const all = sections.flatMap((s) => s.terms.map((t) => (s.exactCase ? `=${t}` : t.toLowerCase())));
  assert.equal(new Set(all).size, all.length, 'a term is shipped twice');
});

test('own terms come from scripts/lexicon/terms, with the case rule of their file; FDA terms from the FDA extract', async () => {
  const b = await load();
  const termsDir = join(root, 'scripts/lexicon/terms');
  const own = new Map<string, Set<string>>();
  for (const f of readdirSync(termsDir)) {
    const m = /^([a-z]+)(\.case)?\.txt$/.exec(f);
    if (!m || f === 'blocklist.txt') continue;
    own.set(`${m[1]}${m[2] ? ' case' : ''}`, new Set(termsOf(join(termsDir, f)).map((t) => (m[2] ? t : t.toLowerCase()))));
  }
  const fda = b.fdaDrugs(readFileSync(join(root, 'scripts/lexicon/sources/fda-ingredients.txt'), 'utf8'));
  let checked = 0;
  for (const s of sections) {
    if (s.source === 'own') {
      const list = own.get(`${s.type}${s.exactCase ? ' case' : ''}`);
      assert.ok(list, `no terms file for ${s.type}${s.exactCase ? ' (case)' : ''}`);
      for (const t of s.terms) assert.ok(list.has(t), `"${t}" (${s.type}) is in no own term list`);
      checked += s.terms.length;
    } else if (s.source === 'fda') {
      for (const t of s.terms) assert.ok(fda.has(t), `"${t}" is not derived from the Drugs@FDA extract`);
      checked += s.terms.length;
    }
  }
  assert.ok(checked > 3000, `${checked} terms traced`);
});

test('terms from the ICD files are derived from those files (traced without a rebuild of the rest)', async (t) => {
  const b = (await load()) as BuildModule & Record<string, (text: string) => unknown>;
  if (missingData(b)) {
    t.skip(`../shared/data is absent: the ICD-derived terms cannot be traced here`);
    return;
  }
  const read = (rel: string, enc: BufferEncoding = 'utf8') => readFileSync(join(dataDir, rel), enc);
  const derived: Record<string, Set<string>> = {
    'icd10cm problem': b.icd10cmProblems(read(b.SOURCE_FILES.icd10cm!)) as Set<string>,
    'icd9cm problem': b.icd9cmProblems(read(b.SOURCE_FILES.icd9cmDx!, 'latin1')) as Set<string>,
  };
  const sg = b.icd9cmProcedures(read(b.SOURCE_FILES.icd9cmSg!, 'latin1')) as { procedure: Set<string>; test: Set<string> };
  const pcs = b.icd10pcsTerms(read(b.SOURCE_FILES.icd10pcs!)) as { anatomy: Set<string>; procedure: Set<string>; test: Set<string> };
  Object.assign(derived, { 'icd9cm procedure': sg.procedure, 'icd9cm test': sg.test, 'icd10pcs anatomy': pcs.anatomy, 'icd10pcs procedure': pcs.procedure, 'icd10pcs test': pcs.test });
  for (const s of sections.filter((x) => x.source.startsWith('icd'))) {
    const set = derived[`${s.source} ${s.type}`];
    assert.ok(set, `no derivation for ${s.source} ${s.type}`);
    for (const term of s.terms) assert.ok(set.has(term), `"${term}" (${s.source} ${s.type}) is not derived from ${s.source}`);
  }
});

test('blocklisted words and left-out abbreviations are not shipped', () => {
  const lower = new Set(sections.filter((s) => !s.exactCase).flatMap((s) => s.terms));
  const exact = new Set(sections.filter((s) => s.exactCase).flatMap((s) => s.terms));
  for (const t of termsOf(join(root, 'scripts/lexicon/terms/blocklist.txt'))) assert.ok(!lower.has(t), `blocklisted "${t}" is shipped`);
  for (const line of readFileSync(join(root, 'scripts/lexicon/left-out.txt'), 'utf8').split('\n')) {
    const m = /^[a-z]+\t(\S+)/.exec(line);
    if (m) assert.ok(!exact.has(m[1]!) && !lower.has(m[1]!.toLowerCase()), `left-out "${m[1]}" is shipped`);
  }
});
