// `node scripts/lexicon/build.mjs [--data DIR] [--out FILE] [--check]`
//
// Builds the default clinical lexicon (media/lexicon/clinical-lexicon.txt) from
// sources that allow redistribution, each named in media/lexicon/NOTICE:
//
//   icd10cm   ICD-10-CM order file (CDC/CMS, public domain): problems
//   icd9cm    ICD-9-CM v32 diagnosis and procedure titles (CMS, public domain): problems,
//             procedures, tests (procedure chapters 87-91 are imaging, tests and exams)
//   icd10pcs  ICD-10-PCS codes (CMS, public domain): anatomy (the body-part axis),
//             procedures (root operation + body part), tests (imaging section B)
//   fda       active ingredients of Drugs@FDA's Products.txt (FDA, public domain),
//             extracted by scripts/lexicon/extract-fda.mjs into sources/fda-ingredients.txt
//   own       term lists written for this project (scripts/lexicon/terms/)
//
// --data defaults to ../shared/data (the official CMS files); --check rebuilds in
// memory and exits 1 when the committed file differs. The output depends on the
// inputs only: no dates, no machine names, every list sorted by code unit.
// The rules that turn official titles into terms are in the functions below and
// in docs/lexicon.md.
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

export const TYPES = ['problem', 'drug', 'test', 'procedure', 'anatomy'];
/** earlier sources keep a term that a later one also yields */
export const SOURCES = ['own', 'fda', 'icd10cm', 'icd9cm', 'icd10pcs'];

export const SOURCE_FILES = {
  icd10cm: 'icd/icd10cm/icd10cm-order-Jan-2021.txt',
  icd9cmDx: 'icd/icd9cm/CMS32_DESC_LONG_DX.txt',
  icd9cmSg: 'icd/icd9cm/CMS32_DESC_LONG_SG.txt',
  icd10pcs: 'icd/icd10pcs/icd10pcs_codes_2023.txt',
};

const MAX_WORDS = 6;
const MAX_CHARS = 60;

// ---------------------------------------------------------------- shared text rules

function clean(s) {
  return s
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ') // ICD's nonessential modifiers: "essential (primary) hypertension"
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** the head of a title: the text before its first comma or qualifying clause */
function head(title) {
  let t = clean(title);
  t = t.split(/,|;| with | without | due to | following | associated with | in diseases classified | not elsewhere | except /)[0];
  return t.replace(/^(other|unspecified) /, '').trim();
}

/** words that make a title a heading or a catch-all rather than a name clinicians write */
const VAGUE = /\b(other|others|specified|unspecified|elsewhere|classified|certain|nos|nec|and\/or|ill-defined|encounter|sequela|sequelae|history|status|complicating|personal|family|finding|findings|abnormal results|screening|examination|observation|contact|exposure|underdosing|poisoning|adverse|type unspecified|site|sites|part|parts|region|regions|multiple|various|late effect|late effects|person|persons|accident|counseling)\b/;
/** plural heads of chapter and block titles ("intestinal infectious diseases") */
const HEADING = /\b(diseases|disorders|conditions|infections|injuries|neoplasms|complications|symptoms|signs|malformations|deformities|anomalies|abnormalities|factors|problems|procedures|operations|services|effects|agents|fractures|wounds|burns|states|reactions|syndromes|diagnoses)\b/;
const LATERAL = /\b(right|left|bilateral|unilateral)\b/;

function termOk(t) {
  if (t.length < 4 || t.length > MAX_CHARS) return false;
  if (t.split(' ').length > MAX_WORDS) return false;
  if (!/^[a-z]/.test(t) || /[^a-z0-9 '\-/]/.test(t)) return false;
  if (/\d/.test(t) && !/\btype [12]\b/.test(t)) return false;
  if (/\b(and|or|of|in|to|by|the|a|an|on|at|for|from)$/.test(t)) return false;
  return !VAGUE.test(t) && !HEADING.test(t) && !LATERAL.test(t);
}

// ---------------------------------------------------------------- ICD-10-CM: problems

/** chapters whose titles are not problems: external causes (V-Y), factors influencing health status (Z), poisonings (T36-T65), codes for special purposes (U) */
function cmChapterSkipped(code) {
  const c = code[0];
  if ('VWXYZU'.includes(c)) return true;
  if (c === 'T') {
    const n = Number(code.slice(1, 3));
    return n >= 36 && n <= 65;
  }
  return false;
}

export function icd10cmProblems(text) {
  const out = new Set();
  for (const line of text.split(/\r?\n/)) {
    if (line.length < 16) continue;
    const code = line.slice(6, 13).trim();
    if (cmChapterSkipped(code)) continue;
    const long = line.slice(77).trim();
    const t = head(long);
    if (termOk(t)) out.add(t);
  }
  return out;
}

// ---------------------------------------------------------------- ICD-9-CM: problems, procedures, tests

function icd9Lines(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9VE]\S*)\s+(.+)$/.exec(line.trim());
    if (m) rows.push([m[1], m[2]]);
  }
  return rows;
}

export function icd9cmProblems(text) {
  const out = new Set();
  for (const [code, title] of icd9Lines(text)) {
    if (code.startsWith('V') || code.startsWith('E')) continue; // supplementary classifications
    const n = Number(code.slice(0, 3));
    if (n >= 960 && n <= 989) continue; // poisonings and toxic effects
    const t = head(title);
    if (termOk(t)) out.add(t);
  }
  return out;
}

/** procedure chapter 87-91 (diagnostic radiology, other diagnostic procedures, laboratory) -> test; the rest -> procedure */
export function icd9cmProcedures(text) {
  const procedure = new Set();
  const test = new Set();
  for (const [code, title] of icd9Lines(text)) {
    const t = head(title);
    if (!termOk(t)) continue;
    const n = Number(code.slice(0, 2));
    // microscopic examinations (90-91) read as "microscopic examination of blood": not how tests are written
    if (n >= 90) continue;
    (n >= 87 ? test : procedure).add(t);
  }
  return { procedure, test };
}

// ---------------------------------------------------------------- ICD-10-PCS: anatomy, procedures, imaging tests

/** root operations whose "<operation> of <body part>" reads as a procedure name */
const PCS_OPERATIONS = ['Excision', 'Resection', 'Drainage', 'Destruction', 'Extirpation', 'Inspection', 'Transplantation', 'Fragmentation', 'Extraction', 'Detachment', 'Division', 'Bypass', 'Dilation', 'Occlusion', 'Repair', 'Release', 'Reposition', 'Replacement', 'Fusion'];
const PCS_OP = new RegExp(`^(${PCS_OPERATIONS.join('|')})(?: of)? (.+?), (?:Open|Percutaneous|Percutaneous Endoscopic|Via Natural or Artificial Opening|Via Natural or Artificial Opening Endoscopic|External) Approach`);
/** PCS catch-all body parts and device words, not anatomy a note names */
const PCS_BODY_PART_SKIP = /\b(upper|lower) (artery|arteries|vein|veins|bone|bones|joint|joints|muscle|tendon|bursa|nerve)$|\b(device|substitute|tissue|graft|body part|cavity and|region|subcutaneous tissue and fascia)\b/;

function anatomyTerm(bodyPart) {
  const t = clean(bodyPart)
    .replace(/\b(right|left|bilateral)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!t || PCS_BODY_PART_SKIP.test(t) || / and /.test(t)) return undefined;
  if (t.length < 3 || t.length > MAX_CHARS || /[^a-z '\-]/.test(t)) return undefined;
  return t;
}

const IMAGING = [
  [/^Computerized Tomography \(CT Scan\) of (.+)$/, ['ct', 'ct scan'], 'ct'],
  [/^Magnetic Resonance Imaging \(MRI\) of (.+)$/, ['mri'], 'mri'],
  [/^Plain Radiography of (.+)$/, ['x-ray', 'radiograph'], 'x-ray'],
  [/^Ultrasonography of (.+)$/, ['ultrasound', 'ultrasonography'], 'ultrasound'],
  [/^Fluoroscopy of (.+)$/, ['fluoroscopy'], 'fluoroscopy'],
];

export function icd10pcsTerms(text) {
  const anatomy = new Set();
  const procedure = new Set();
  const test = new Set();
  for (const line of text.split(/\r?\n/)) {
    const code = line.slice(0, 7);
    const title = line.slice(8).trim();
    if (!title) continue;
    if (code[0] === '0') {
      const m = PCS_OP.exec(title);
      if (!m) continue;
      const bodyPart = m[2].split(/ (?:with|using|to|from) /)[0];
      const a = anatomyTerm(bodyPart);
      if (!a) continue;
      anatomy.add(a);
      // "Right Lung" also as written with its side: a note's "left knee" is then one span
      const side = /^(Right|Left|Bilateral) /.exec(bodyPart);
      if (side && a.split(' ').length < MAX_WORDS) anatomy.add(`${side[1].toLowerCase()} ${a}`);
      const p = `${m[1].toLowerCase()} of ${a}`;
      if (p.split(' ').length <= MAX_WORDS) procedure.add(p);
    } else if (code[0] === 'B') {
      for (const [re, names, after] of IMAGING) {
        const m = re.exec(title.split(/ using |, /)[0]);
        if (!m) continue;
        const a = anatomyTerm(m[1]);
        if (!a || a.split(' ').length > 3) continue;
        for (const n of names) test.add(`${n} of ${a}`);
        test.add(`${names[0]} ${a}`);
        test.add(`${a} ${after}`);
      }
    }
  }
  return { anatomy, procedure, test };
}

// ---------------------------------------------------------------- Drugs@FDA active ingredients

/** salt and ester words after a base name ("metoprolol tartrate" -> "metoprolol") */
const SALTS = new Set('hydrochloride hcl sodium potassium calcium magnesium sulfate sulphate acetate maleate mesylate besylate tartrate bitartrate citrate phosphate succinate fumarate bromide hydrobromide chloride nitrate lactate gluconate tosylate dihydrochloride monohydrate dihydrate trihydrate hemihydrate anhydrous disodium dipotassium hyclate palmitate propionate valerate dipropionate furoate pivalate sodium dimeglumine meglumine tromethamine lysine arginine benzoate salicylate stearate oleate carbonate bicarbonate oxide hydroxide iodide fluoride trisilicate hydrochlorothiazide'.split(' '));
SALTS.delete('hydrochlorothiazide');

export function fdaDrugs(text) {
  const out = new Set();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim().toLowerCase();
    if (!line) continue;
    if (/[^a-z \-']/.test(line)) continue; // isotopes, strengths, parenthesised groups
    const words = line.split(' ');
    while (words.length > 1 && SALTS.has(words[words.length - 1])) words.pop();
    for (const t of new Set([line, words.join(' ')])) {
      if (t.length >= 4 && t.length <= MAX_CHARS && t.split(' ').length <= 4) out.add(t);
    }
  }
  return out;
}

// ---------------------------------------------------------------- own term lists

/** one term per line, '#' comments, as in a user's lexicon folder */
function parseTerms(text) {
  const terms = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const hash = trimmed.search(/\s#/);
    const t = (hash >= 0 ? trimmed.slice(0, hash) : trimmed).trim().replace(/\s+/g, ' ');
    if (t) terms.push(t);
  }
  return terms;
}

// ---------------------------------------------------------------- assembly

function read(path, encoding = 'utf8') {
  return readFileSync(path, encoding);
}

/**
 * The lexicon's text and what each source gave. `dataDir` holds the official
 * CMS files (../shared/data); `listsDir` the own lists and the FDA extract.
 * `naive` keeps the blocklisted terms (scripts/eval/lexicon.ts measures the
 * lexicon without its ambiguity rules with it).
 */
export function buildLexicon({ dataDir = resolve(root, '..', 'shared', 'data'), listsDir = here, naive = false } = {}) {
  for (const rel of Object.values(SOURCE_FILES)) {
    if (!existsSync(join(dataDir, rel))) throw new Error(`${join(dataDir, rel)} is missing: --data must name the folder holding icd/ (the official CMS files)`);
  }
  const termsDir = join(listsDir, 'terms');
  /** entries[source][type] = { ignore: Set, exact: Set } */
  const found = {};
  const add = (source, type, terms, exact = false) => {
    found[source] ??= {};
    found[source][type] ??= { ignore: new Set(), exact: new Set() };
    const bucket = found[source][type][exact ? 'exact' : 'ignore'];
    for (const t of terms) bucket.add(exact ? t : t.toLowerCase());
  };

  // own lists: terms/<type>.txt (any case), terms/<type>.case.txt (matched with the case written)
  const blocked = new Set(naive ? [] : parseTerms(read(join(termsDir, 'blocklist.txt'))).map((t) => t.toLowerCase()));
  for (const name of readdirSync(termsDir).sort()) {
    const m = /^([a-z]+)(\.case)?\.txt$/.exec(name);
    if (!m || name === 'blocklist.txt') continue;
    if (!TYPES.includes(m[1])) throw new Error(`terms/${name}: unknown type ${m[1]} (types: ${TYPES.join(', ')})`);
    add('own', m[1], parseTerms(read(join(termsDir, name))), m[2] !== undefined);
  }
  add('fda', 'drug', fdaDrugs(read(join(listsDir, 'sources', 'fda-ingredients.txt'))));
  add('icd10cm', 'problem', icd10cmProblems(read(join(dataDir, SOURCE_FILES.icd10cm))));
  add('icd9cm', 'problem', icd9cmProblems(read(join(dataDir, SOURCE_FILES.icd9cmDx), 'latin1')));
  const sg = icd9cmProcedures(read(join(dataDir, SOURCE_FILES.icd9cmSg), 'latin1'));
  add('icd9cm', 'procedure', sg.procedure);
  add('icd9cm', 'test', sg.test);
  const pcs = icd10pcsTerms(read(join(dataDir, SOURCE_FILES.icd10pcs)));
  add('icd10pcs', 'anatomy', pcs.anatomy);
  add('icd10pcs', 'procedure', pcs.procedure);
  add('icd10pcs', 'test', pcs.test);

  // each term once: the first source, then the first type, keeps it; the blocklist drops it everywhere
  const taken = new Set();
  const sections = [];
  const stats = {};
  for (const source of SOURCES) {
    for (const type of TYPES) {
      const bucket = found[source]?.[type];
      if (!bucket) continue;
      for (const [mode, set] of [['exact', bucket.exact], ['ignore', bucket.ignore]]) {
        const terms = [];
        for (const t of [...set].sort()) {
          const key = mode === 'exact' ? `=${t}` : t.toLowerCase();
          if (blocked.has(t.toLowerCase()) && source !== 'own') continue;
          if (taken.has(key) || taken.has(t.toLowerCase())) continue;
          taken.add(key);
          terms.push(t);
        }
        if (terms.length === 0) continue;
        sections.push({ type, source, exact: mode === 'exact', terms });
        stats[type] ??= {};
        stats[type][source] = (stats[type][source] ?? 0) + terms.length;
      }
    }
  }
  sections.sort((a, b) => TYPES.indexOf(a.type) - TYPES.indexOf(b.type) || SOURCES.indexOf(a.source) - SOURCES.indexOf(b.source) || Number(b.exact) - Number(a.exact));
  const lines = [
    '# Clinical ModernBERT default clinical lexicon, built by scripts/lexicon/build.mjs: do not edit, rebuild.',
    '# Sources and their licences: NOTICE beside this file. Format and rules: docs/lexicon.md.',
    '# "@TYPE SOURCE" starts a section; "@TYPE SOURCE case" a section matched with the case written.',
  ];
  for (const s of sections) {
    lines.push(`@${s.type} ${s.source}${s.exact ? ' case' : ''}`);
    lines.push(...s.terms);
  }
  return { text: `${lines.join('\n')}\n`, stats };
}

function main() {
  const argv = process.argv.slice(2);
  let dataDir;
  let out = join(root, 'media', 'lexicon', 'clinical-lexicon.txt');
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--data') dataDir = resolve(argv[++i]);
    else if (argv[i] === '--out') out = resolve(argv[++i]);
    else if (argv[i] === '--check') check = true;
    else {
      console.error(`build.mjs: unknown option ${argv[i]} (--data DIR, --out FILE, --check)`);
      process.exit(2);
    }
  }
  const { text, stats } = buildLexicon({ dataDir });
  for (const type of TYPES) {
    const by = stats[type] ?? {};
    const total = Object.values(by).reduce((a, b) => a + b, 0);
    console.log(`${type.padEnd(10)} ${String(total).padStart(6)}  ${Object.entries(by).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  }
  if (check) {
    const same = existsSync(out) && readFileSync(out, 'utf8') === text;
    console.log(same ? `${out} is up to date` : `${out} differs from a rebuild`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(out, text);
  console.log(`wrote ${out} (${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
