/**
 * Finds ICD codes in note text. Two steps so the rules stay testable without a
 * database: `findCandidates` reads shapes and context (pure), `resolveDetections`
 * keeps the candidates that exist in an installed set (or, without one, that
 * stand in an explicit code context) and orders their readings.
 *
 * Numbers are the hard part: "250.00 mg", "BP 120/80", "Na 138", "10:30",
 * "555-123-4567", "MRN 25000" are not codes. Digits-only candidates therefore
 * need a code cue ("dx", "ICD-9:", "hx", a list of codes), except an ICD-9
 * diagnosis written with its dot, which needs only a non-quantity context.
 */
import { hasShape, systemsForWritten, type IcdSystem } from './systems';

export interface Candidate {
  start: number;
  end: number;
  /** as written, e.g. "E11.9" */
  written: string;
  /** undotted, upper case */
  code: string;
  /** systems whose written form this is */
  systems: IcdSystem[];
  numeric: boolean;
  dotted: boolean;
  /** a code cue stands before it on the line ("ICD-10:", "dx", "s/p") */
  cued: boolean;
  /** systems the cue names, strongest first */
  hinted: IcdSystem[];
}

export interface Reading {
  system: IcdSystem;
  code: string;
}

export interface Detection {
  start: number;
  end: number;
  written: string;
  /** likeliest first */
  readings: Reading[];
}

/** what the installed sets say: systems in which each code exists, and which systems are installed */
export interface CodeKnowledge {
  installed: ReadonlySet<IcdSystem>;
  systemsOf(code: string): readonly IcdSystem[];
  /** false for headers (categories) */
  billable(system: IcdSystem, code: string): boolean;
}

// code-shaped tokens only (lower-case words are skipped at their first letter); CANDIDATE checks the exact shapes
const TOKEN = /(?<![A-Za-z0-9.])[A-Z0-9][0-9A-Z]{1,6}(?:\.[0-9A-Z]{1,4})?(?![A-Za-z0-9]|\.[A-Za-z0-9])/g;
const CANDIDATE =
  /^(?:[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?|[A-Z][0-9][0-9A-Z]{1,4}|[0-9A-HJ-NP-Z]{7}|[0-9]{2,3}\.[0-9]{1,2}|[0-9]{3,5}|V[0-9]{2}\.[0-9]{1,2}|E[0-9]{3}\.[0-9])$/;

// A cue names a code context; which systems it points to decides the reading order.
const CUE =
  /\b(icd[-\s]?(?:9|10)(?:[-\s]?(?:cm|pcs))?|icd|dx|ddx|diagnos[ie]s|diagnostic codes?|diag|codes?|coded|hx|h\/o|history of|pmh|problem list|procedures?|proc|px|surgery|s\/p|status post|operations?)(?![a-z0-9])/gi;

const QUANTITY_WORDS = new Set(
  (
    'mrn acct account acc room rm bed ext extension phone ph tel telephone fax pager npi dea id no num number lot zip apt suite ste unit ' +
    'cpt hcpcs drg rev dob age aged ' +
    'bp sbp dbp hr p pulse rr resp t temp tmax spo2 sat sats o2 fio2 peep wt weight ht height bmi ' +
    'glucose gluc glu bg fsbg cbg fingerstick sugar na k cl co2 hco3 bicarb bun cr creat creatinine ca mg phos wbc hgb hb hct plt platelets ' +
    'inr pt ptt aptt a1c hba1c ldl hdl tg trig chol cholesterol tsh ast alt alp bili lipase amylase troponin trop bnp lactate esr crp anc ' +
    'mcv ferritin iron folate psa uop egfr gfr ef qtc qrs pr score level levels dose dosed dosing x times total count ' +
    'at on since until by from to in over under approx approximately about ' +
    'mmhg'
  ).split(' '),
);
const UNIT_AFTER =
  /^\s?(?:mg|mcg|µg|ug|g|gm|grams?|kg|lbs?|oz|ml|l|cc|dl|meq|mmol|umol|µmol|nmol|pmol|iu|units?|u|%|percent|mm|cm|m|km|mi|miles?|inch(?:es)?|ft|mmhg|bpm|hz|kcal|cal|ms|msec|sec|s|min|mins|minutes?|hrs?|hours?|h|days?|d|wks?|weeks?|mos?|months?|y|yrs?|years?|yo|y\/o|year[-\s]old|am|pm|°|degrees?|f|c|x|times|tabs?|tablets?|caps?|capsules?|puffs?|drops?|sprays?|patch(?:es)?|cells|k\/ul|per|ng|pg)(?![a-z])/i;
const NOT_CODE_AFTER = /^\s?(?:mask|masks|respirator|antigen|protein)\b/i;
const LIST_GAP = /^[\s,;&/]*(?:(?:and|or|&)\s*)?[\s,;]*$/i;

function hintsOf(cue: string): IcdSystem[] {
  const c = cue.toLowerCase();
  if (/icd[-\s]?9/.test(c)) return /pcs|proc/.test(c) ? ['icd9cm-sg', 'icd9cm-dx'] : ['icd9cm-dx', 'icd9cm-sg'];
  if (/icd[-\s]?10/.test(c)) return /pcs/.test(c) ? ['icd10pcs'] : /cm/.test(c) ? ['icd10cm'] : ['icd10cm', 'icd10pcs'];
  if (/^(?:procedures?|proc|px|surgery|s\/p|status post|operations?)$/.test(c)) return ['icd10pcs', 'icd9cm-sg'];
  if (/^(?:dx|ddx|diagnos[ie]s|diag|hx|h\/o|history of|pmh|problem list)$/.test(c)) return ['icd10cm', 'icd9cm-dx'];
  return [];
}

function lineBounds(text: string, start: number, end: number): [number, number] {
  const ls = text.lastIndexOf('\n', start - 1) + 1;
  let le = text.indexOf('\n', end);
  if (le < 0) le = text.length;
  return [ls, le];
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** true when the characters around the token make it part of a date, time, range, phone number or larger number */
function glued(text: string, start: number, end: number, numeric: boolean): boolean {
  const b = text[start - 1];
  const bb = text[start - 2];
  const a = text[end];
  const aa = text[end + 1];
  const alnum = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9]/.test(ch);
  // slashes join numbers (120/80, 3/8/1950) far more often than codes (E11.9/I10)
  if (numeric && (b === '/' || a === '/')) return true;
  if (b !== undefined && '$#+^_@\\=<>~±≤≥'.includes(b)) return true;
  if (b === ':' && isDigit(bb)) return true;
  if (b === ',' && numeric && isDigit(bb)) return true;
  if (b === '.' && alnum(bb)) return true;
  // after a hyphen: a negative number, or the end of a range, date or phone number (E08-E13, 555-1234);
  // "DM-E11.9" is a code after a word
  if (b === '-' && (numeric || /[0-9][A-Za-z0-9.]*-$/.test(text.slice(Math.max(0, start - 10), start)))) return true;
  if (a !== undefined && '%°@_\\'.includes(a)) return true;
  if ((a === ':' || a === '-' || a === ',' || a === '.') && isDigit(aa)) return true;
  // before a hyphen: the start of a range ("E08-E13"), not "E11.9-Type 2 DM"
  if (a === '-' && /^-[A-Z]?[0-9]/.test(text.slice(end, end + 3))) return true;
  // "(555) 123-4567"
  if (b === '(' && a === ')' && /^\)\s?\d{3}[-.\s]\d{4}/.test(text.slice(end, end + 12))) return true;
  return false;
}

function quantityContext(text: string, lineStart: number, start: number, end: number, lineEnd: number, numeric: boolean): boolean {
  const after = text.slice(end, Math.min(lineEnd, end + 16));
  if (NOT_CODE_AFTER.test(after)) return true;
  if (!numeric) return false;
  if (UNIT_AFTER.test(after)) return true;
  const word = previousWord(text, lineStart, start);
  if (word !== undefined && QUANTITY_WORDS.has(word)) return true;
  return false;
}

const LINKING = new Set(['is', 'was', 'of', 'were', 'are', 'now', 'remains', 'remain', 'ranging']);

/** the word before `start` on its line, lower case, skipping ":", "=", "~", "-" and one linking word ("glucose of 250", "Na: 138") */
function previousWord(text: string, lineStart: number, start: number): string | undefined {
  let i = start;
  const skipSeparators = () => {
    while (i > lineStart && ' \t:=~-'.includes(text[i - 1]!)) i--;
  };
  const readWord = () => {
    const end = i;
    while (i > lineStart && /[A-Za-z0-9]/.test(text[i - 1]!)) i--;
    return text.slice(i, end).toLowerCase();
  };
  skipSeparators();
  let w = readWord();
  if (LINKING.has(w)) {
    skipSeparators();
    w = readWord();
  }
  return w && /^[a-z]/.test(w) ? w : undefined;
}

/** Every token shaped like a code whose context does not mark it as a quantity, with its cue. */
export function findCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  let cueLine = -1;
  let cues: Array<{ end: number; text: string }> = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const written = m[0];
    if (written.length < 3 || written.length > 8 || !CANDIDATE.test(written)) continue;
    const start = m.index;
    const end = start + written.length;
    const numeric = /^[0-9.]+$/.test(written);
    if (glued(text, start, end, numeric)) continue;
    // four-digit years are dates, whatever a code table says
    if (numeric && /^(?:19|20)\d\d$/.test(written)) continue;
    const [ls, le] = lineBounds(text, start, end);
    // a quantity is never a code, nor does it break a list of codes: it is simply not a candidate
    if (quantityContext(text, ls, start, end, le, numeric)) continue;
    const systems = systemsForWritten(written);
    if (!systems.length) continue;
    const code = written.replace('.', '');
    if (cueLine !== ls) {
      // cues are found once per line, not once per candidate
      cueLine = ls;
      cues = [];
      const line = text.slice(ls, le);
      CUE.lastIndex = 0;
      for (let c = CUE.exec(line); c; c = CUE.exec(line)) cues.push({ end: ls + c.index + c[0].length, text: c[1]! });
    }
    let cueText: string | undefined;
    for (const c of cues) if (c.end <= start && c.end >= start - 60) cueText = c.text;
    out.push({
      start,
      end,
      written,
      code,
      systems,
      numeric,
      dotted: written.includes('.'),
      cued: cueText !== undefined,
      hinted: cueText ? hintsOf(cueText) : [],
    });
  }
  return out;
}

const BASE_ORDER: Record<IcdSystem, number> = { icd10cm: 4, icd10pcs: 3, 'icd9cm-dx': 2, 'icd9cm-sg': 1 };
const family = (s: IcdSystem) => (s.startsWith('icd9') ? 9 : 10);

/**
 * Keeps candidates that are codes and orders each one's readings: the cue's
 * systems first, then the revision most other codes in the note use, then
 * ICD-10-CM, ICD-10-PCS, ICD-9-CM diagnosis, ICD-9-CM procedure.
 */
export function resolveDetections(text: string, candidates: Candidate[], known: CodeKnowledge): Detection[] {
  const kept: Array<{ c: Candidate; readings: IcdSystem[]; context: boolean; hinted: IcdSystem[] }> = [];
  let prev: { end: number; hinted: IcdSystem[] } | undefined;
  for (const c of candidates) {
    // a code in a list after a cued or accepted code shares its context ("ICD-9: 250.00, 401.9, 272.4")
    const listed = prev !== undefined && LIST_GAP.test(text.slice(prev.end, c.start));
    const context = c.cued || listed;
    const hinted = c.cued ? c.hinted : listed ? prev!.hinted : [];
    const existing = new Set(known.systemsOf(c.code));
    const readings = c.systems.filter((s) => {
      if (known.installed.has(s)) {
        if (!existing.has(s)) return false;
        if (context) return true;
        if (s === 'icd9cm-sg') return false;
        if (c.numeric) return s === 'icd9cm-dx' && c.dotted;
        // a bare category ("N95 mask", "P24") is a code only where the note says so
        return s !== 'icd10cm' || known.billable(s, c.code);
      }
      if (!context || !hasShape(s, c.code)) return false;
      return s !== 'icd10pcs' || /[0-9]/.test(c.code);
    });
    if (!readings.length) {
      if (!listed) prev = undefined;
      continue;
    }
    kept.push({ c, readings, context, hinted });
    prev = { end: c.end, hinted };
  }
  // the revision the note's unambiguous codes use
  let nine = 0;
  let ten = 0;
  for (const k of kept) {
    const fams = new Set(k.readings.map(family));
    if (fams.size === 1) fams.has(9) ? nine++ : ten++;
  }
  const noteFamily = nine > ten ? 9 : ten > nine ? 10 : 0;
  return kept.map(({ c, readings, hinted }) => {
    const score = (s: IcdSystem) => {
      const h = hinted.indexOf(s);
      return (h >= 0 ? 100 - h * 10 : 0) + (family(s) === noteFamily ? 20 : 0) + BASE_ORDER[s];
    };
    const ordered = [...readings].sort((a, b) => score(b) - score(a));
    return { start: c.start, end: c.end, written: c.written, readings: ordered.map((system) => ({ system, code: c.code })) };
  });
}
