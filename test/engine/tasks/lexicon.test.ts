import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lexicon, loadLexiconFolder, mergeSpans, parseLexiconFile, typeFromFileName } from '../../../src/engine/tasks/lexicon';
import { EngineError } from '../../../src/engine/errors';

function found(lex: Lexicon, text: string): Array<[string, string]> {
  return lex.match(text).map((m) => [text.slice(m.start, m.end), m.type]);
}

const clinical = new Lexicon([
  { type: 'problem', terms: ['pneumonia', 'chest pain', 'heart failure', 'congestive heart failure', 'MI', 'pain'] },
  { type: 'treatment', terms: ['aspirin', 'heparin drip', 'CABG'] },
  { type: 'test', terms: ['chest x-ray', 'troponin'] },
]);

test('terms match case-insensitively with their original offsets', () => {
  assert.deepEqual(found(clinical, 'PNEUMONIA on Chest X-Ray; started Aspirin.'), [
    ['PNEUMONIA', 'problem'],
    ['Chest X-Ray', 'test'],
    ['Aspirin', 'treatment'],
  ]);
});

test('matches respect word boundaries: no hits inside longer words', () => {
  assert.deepEqual(found(clinical, 'MIcrocytic anemia; painless; aspirinated; pain.'), [['pain', 'problem']]);
  assert.deepEqual(found(clinical, 'r/o MI.'), [['MI', 'problem']]);
});

test('the longest match wins and kept matches do not overlap', () => {
  assert.deepEqual(found(clinical, 'congestive heart failure and chest pain'), [
    ['congestive heart failure', 'problem'],
    ['chest pain', 'problem'],
  ]);
  // "chest pain" and "chest x-ray" share a prefix; "pain" alone is inside "chest pain"
  assert.deepEqual(found(clinical, 'chest x-ray for chest pain'), [
    ['chest x-ray', 'test'],
    ['chest pain', 'problem'],
  ]);
});

test('whitespace runs and line breaks in the note match a single space in a term', () => {
  assert.deepEqual(found(clinical, 'on heparin\n  drip'), [['heparin\n  drip', 'treatment']]);
});

test('a match at the very start and end of the note', () => {
  assert.deepEqual(found(clinical, 'CABG'), [['CABG', 'treatment']]);
});

test('an empty lexicon or an empty note finds nothing', () => {
  assert.deepEqual(new Lexicon([]).match('pneumonia'), []);
  assert.deepEqual(clinical.match(''), []);
});

test('offsets stay right when lower-casing would change a character\'s length', () => {
  const lex = new Lexicon([{ type: 'problem', terms: ['fever'] }]);
  const text = 'İstanbul trip; fever.';
  const [m] = lex.match(text);
  assert.equal(text.slice(m!.start, m!.end), 'fever');
});

test('lexicon files: comments, blank lines and trailing comments are dropped', () => {
  assert.deepEqual(parseLexiconFile('# problems\npneumonia\n\n  sepsis   # common\r\n#x\nheart failure\n'), ['pneumonia', 'sepsis', 'heart failure']);
  assert.equal(typeFromFileName('Problem.txt'), 'problem');
  assert.equal(typeFromFileName('drug'), 'drug');
});

test('a folder of term lists: file name is the type; the first file by name keeps a duplicate term', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cmb-lex-'));
  try {
    writeFileSync(join(dir, 'drug.txt'), 'aspirin\nwarfarin\n');
    writeFileSync(join(dir, 'problem.txt'), '# conditions\nbleeding\naspirin\n');
    writeFileSync(join(dir, '.hidden'), 'fever\n');
    mkdirSync(join(dir, 'sub'));
    const { lexicon, files } = loadLexiconFolder(dir);
    assert.equal(files, 2);
    assert.deepEqual([...lexicon.types], ['drug', 'problem']);
    assert.equal(lexicon.termCount, 3);
    assert.deepEqual(found(lexicon, 'Aspirin, warfarin, bleeding, fever'), [
      ['Aspirin', 'drug'],
      ['warfarin', 'drug'],
      ['bleeding', 'problem'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: a missing lexicon folder names the setting to fix', () => {
  assert.throws(
    () => loadLexiconFolder('/no/such/folder/for/lexicons'),
    (e: unknown) => e instanceof EngineError && e.code === 'missing-file' && /lexiconFolder/.test(e.message),
  );
});

test('100k terms build into one automaton and match a note', () => {
  const terms: string[] = [];
  for (let i = 0; i < 100_000; i++) terms.push(`term${i.toString(36)} finding ${i % 97}`);
  terms.push('acute kidney injury');
  const t0 = performance.now();
  const lex = new Lexicon([{ type: 'problem', terms }]);
  const buildMs = performance.now() - t0;
  assert.equal(lex.termCount, 100_001);
  const t = `term${(500).toString(36)} finding ${500 % 97}`;
  const note = `Admitted with acute kidney injury and ${t} today; ${t}x is no term.`;
  assert.deepEqual(found(lex, note).map(([m]) => m), ['acute kidney injury', t]);
  // generous bound: a sanity check that construction is not quadratic, not a benchmark
  assert.ok(buildMs < 20_000, `built in ${buildMs.toFixed(0)} ms`);
});

test('merge: model spans win and lexicon spans fill gaps; other modes', () => {
  const model = [{ start: 0, end: 10, src: 'm' }, { start: 20, end: 25, src: 'm' }];
  const lexicon = [{ start: 5, end: 12, src: 'l' }, { start: 12, end: 18, src: 'l' }, { start: 24, end: 30, src: 'l' }];
  assert.deepEqual(mergeSpans(model, lexicon, 'modelFirst').map((s) => `${s.src}${s.start}`), ['m0', 'l12', 'm20']);
  assert.deepEqual(mergeSpans(model, lexicon, 'lexiconFirst').map((s) => `${s.src}${s.start}`), ['l5', 'l12', 'l24']);
  assert.deepEqual(mergeSpans(model, lexicon, 'modelOnly').map((s) => `${s.src}${s.start}`), ['m0', 'm20']);
  assert.deepEqual(mergeSpans(model, lexicon, 'lexiconOnly').length, 3);
});

test('the automaton agrees with a plain scan on random terms and notes', () => {
  // small alphabet, many shared prefixes and suffixes: where automata go wrong
  let seed = 42;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const word = () => Array.from({ length: 1 + rand(3) }, () => 'abc'[rand(3)]).join('');
  const isWord = (ch: string | undefined) => ch !== undefined && /[a-z]/i.test(ch);
  for (let round = 0; round < 200; round++) {
    const terms = Array.from({ length: 1 + rand(8) }, () => Array.from({ length: 1 + rand(2) }, word).join(' '));
    const text = Array.from({ length: 3 + rand(12) }, () => (rand(4) === 0 ? word().toUpperCase() : word())).join(rand(2) ? ' ' : '  ');
    const lex = new Lexicon([{ type: 't', terms }]);
    const expected: string[] = [];
    const lower = text.toLowerCase().replace(/\s+/g, ' ');
    assert.equal(lower.length, text.replace(/\s+/g, ' ').length);
    const collapsed = text.replace(/\s+/g, ' ');
    for (let s = 0; s < lower.length; ) {
      let best = 0;
      for (const t of new Set(terms)) {
        if (lower.startsWith(t, s) && t.length > best && !(isWord(lower[s - 1]) && isWord(lower[s])) && !(isWord(lower[s + t.length]) && isWord(lower[s + t.length - 1]))) best = t.length;
      }
      if (best > 0) {
        expected.push(collapsed.slice(s, s + best));
        s += best;
      } else s++;
    }
    const got = lex.match(text).map((m) => text.slice(m.start, m.end).replace(/\s+/g, ' '));
    assert.deepEqual(got, expected, `terms ${JSON.stringify(terms)} text ${JSON.stringify(text)}`);
  }
});

test('issue 14: exact-case terms match only as written; the same term listed in any case elsewhere matches in any case', () => {
  const lex = new Lexicon([
    { type: 'problem', terms: ['MI', 'SOB', 'AIDS'], exactCase: true },
    { type: 'test', terms: ['KCl', 'KCL'], exactCase: true },
    { type: 'problem', terms: ['htn'] },
    { type: 'drug', terms: ['HTN'], exactCase: true },
  ]);
  assert.deepEqual(found(lex, 'r/o MI; 5 mi walk; Mi casa; SOB at rest; sob; AIDS; hearing aids; KCl, KCL, kcl; HTN, htn, Htn'), [
    ['MI', 'problem'],
    ['SOB', 'problem'],
    ['AIDS', 'problem'],
    ['KCl', 'test'],
    ['KCL', 'test'],
    ['HTN', 'problem'],
    ['htn', 'problem'],
    ['Htn', 'problem'],
  ]);
});

test('issue 14: a failed case check leaves room for a shorter term at the same place', () => {
  const lex = new Lexicon([
    { type: 'problem', terms: ['CA 125'], exactCase: true },
    { type: 'test', terms: ['ca'] },
  ]);
  assert.deepEqual(found(lex, 'ca 125 sent'), [['ca', 'test']]);
  assert.deepEqual(found(lex, 'CA  125 sent'), [['CA  125', 'problem']]);
});

test('issue 14: context rules drop a match by the text around it, matched by the term as written', () => {
  const lex = new Lexicon([{ type: 'problem', terms: ['PE'], exactCase: true }], {
    rules: [{ term: 'PE', reading: 'tubes, exam header', notBefore: /^(?:\s*:|\s+tubes?\b)/i, notAfter: /\bany\s+$/i }],
  });
  assert.deepEqual(found(lex, 'r/o PE. PE tubes placed. PE: normal. No PE on CT. Avoid any PE for a week.'), [
    ['PE', 'problem'],
    ['PE', 'problem'],
  ]);
  assert.deepEqual(lex.match('No PE on CT.').map((m) => m.start), [3]);
});
