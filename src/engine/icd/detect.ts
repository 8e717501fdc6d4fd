/**
 * Finds ICD codes in note text. Two steps so the rules stay testable without a
 * database: `findCandidates` reads shapes and context (pure), `resolveDetections`
 * keeps the candidates that exist in an installed set (or, without one, that
 * stand in an explicit code context) and orders their readings.
 *
 * Numbers are the hard part: "250.00 mg", "BP 120/80", "Na 138", "10:30",
 * "555-123-4567", "MRN 25000", "T-max 102.4", "CPT 45385" are not codes. Only
 * a code written in its full dotted form stands alone (E11.9, 250.00, V45.81)
 * or a PCS code (0DTJ4ZZ); anything else needs a code context: a cue in its
 * own sentence or list item ("dx", "ICD-9 code", "s/p"), a header line of
 * codes above it ("ICD-9 codes:"), parentheses after a diagnosis ("HTN (I10)",
 * for codes with a letter), or a place in a list after such a code.
 *
 * Every pass is linear in the text: line, sentence and cue positions are found
 * once and walked alongside the candidates; all other look-arounds are bounded.
 */
import { hasShape, systemsForWritten, type IcdSystem } from './systems';
import type { CodeRecord } from './codesets';

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
  /** a code cue stands before it in its sentence or list item, or a header of codes above its line */
  cued: boolean;
  /** systems the cue names, strongest first */
  hinted: IcdSystem[];
  /** the cue names procedures: a number is a code only if some procedure system has it */
  procedureCue: boolean;
  /** the cue names ICD or codes ("ICD-9 code", "codes:"), not only diagnoses or procedures */
  icdCue: boolean;
  /** alone in parentheses, or with other codes: "HTN (I10)" */
  parenthesized: boolean;
  /** 100.0-109.9 written as an ICD-9-CM diagnosis: far more often a temperature in °F */
  temperatureLike: boolean;
  /** where its sentence starts: list items joined by ";" are one sentence here */
  sentence: number;
  /** right after a word ("Obesity 278.0"): a code written after the name of what it codes */
  afterWord: boolean;
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
  /**
   * Systems in which the code is a category that the installed files do not list but list codes
   * under (the CMS ICD-9-CM files hold billable codes only: 823.2 through 823.20-823.22).
   */
  categoryIn?(code: string): readonly IcdSystem[];
}

/** Knowledge from records held in memory (tests, evaluation scripts). */
export function knowledgeOfRecords(records: Iterable<CodeRecord>, installed?: Iterable<IcdSystem>): CodeKnowledge {
  const by = new Map<string, CodeRecord[]>();
  const under = new Map<string, Set<IcdSystem>>();
  const systems = new Set<IcdSystem>();
  for (const r of records) {
    systems.add(r.system);
    const list = by.get(r.code);
    if (list) list.push(r);
    else by.set(r.code, [r]);
    if (r.system === 'icd9cm-dx' || r.system === 'icd9cm-sg') {
      for (const prefix of icd9Categories(r.system, r.code)) {
        const s = under.get(prefix) ?? new Set<IcdSystem>();
        s.add(r.system);
        under.set(prefix, s);
      }
    }
  }
  return {
    installed: new Set(installed ?? systems),
    systemsOf: (code) => (by.get(code) ?? []).map((r) => r.system),
    billable: (system, code) => by.get(code)?.find((r) => r.system === system)?.billable ?? false,
    categoryIn: (code) => [...(under.get(code) ?? [])].filter((s) => !by.get(code)?.some((r) => r.system === s)),
  };
}

/** the categories above an ICD-9-CM code: 82320 -> 8232, 823 */
function icd9Categories(system: IcdSystem, code: string): string[] {
  const min = system === 'icd9cm-sg' ? 2 : code.startsWith('E') ? 4 : 3;
  const out: string[] = [];
  for (let n = code.length - 1; n >= min; n--) out.push(code.slice(0, n));
  return out;
}

// Code-shaped tokens. Upper case, except dotted codes typed in lower case ("e11.9", "v45.81");
// CANDIDATE checks the exact shapes.
const TOKEN = /(?<![A-Za-z0-9.])(?:[A-Z0-9][0-9A-Z]{1,6}(?:\.[0-9A-Z]{1,4})?|[a-z][0-9]{2,3}\.[0-9a-z]{1,4})(?![A-Za-z0-9]|\.[A-Za-z0-9])/g;
const CANDIDATE =
  /^(?:[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?|[A-Z][0-9][0-9A-Z]{1,4}|[0-9A-HJ-NP-Z]{7}|[0-9]{2,3}\.[0-9]{1,2}|[0-9]{3,5}|V[0-9]{2}\.[0-9]{1,2}|E[0-9]{3}\.[0-9])$/;

type CueKind = 'foreign' | 'icd' | 'procedure' | 'diagnosis' | 'code';

// A cue names a code context; which systems it points to decides the reading order. Codes of
// other systems ("CPT code", "dental code") are cues too: they take the context away.
const CUE = new RegExp(
  String.raw`\b(?:` +
    String.raw`((?:cpt|hcpcs|cdt)(?:[-\s]+codes?(?:\s?\(s\))?)?|(?:dental|drg|billing|zip|postal|area|access|door|security|colou?r)[-\s]+codes?)` +
    String.raw`|((?:icd[-\s]?(?:9|10)(?:[-\s]?(?:cm|pcs))?|icd)(?:[-\s]+(?:codes?(?:\s?\(s\))?|dx|diagnos[ie]s|procedures?))?)` +
    String.raw`|(procedures?(?:[-\s]+codes?(?:\s?\(s\))?)?|proc|px|surgery|surgeries|s\/p|status[-\s]post|operations?)` +
    String.raw`|(dx|ddx|diagnos[ie]s|diagnostic[-\s]codes?|diag|hx|h\/o|history[-\s]of|pmh|problem[-\s]list|assessment|impression|axis[-\s]+(?:i{1,3}|iv|v)(?![a-z]))` +
    String.raw`|(codes?(?:\s?\(s\))?|coded)(?![-\s]+(?:status|blue|red|team|word))` +
    String.raw`)(?![a-z0-9])`,
  'gi',
);
const CUE_KINDS: CueKind[] = ['foreign', 'icd', 'procedure', 'diagnosis', 'code'];
/** a cue reaches this far, and no further than its sentence or list item */
const CUE_REACH = { chars: 80, words: 8 };

interface Cue {
  start: number;
  end: number;
  kind: CueKind;
  hints: IcdSystem[];
}

function hintsOf(kind: CueKind, cue: string): IcdSystem[] {
  const c = cue.toLowerCase();
  switch (kind) {
    case 'icd':
      if (/icd[-\s]?9/.test(c)) return /pcs|proc/.test(c) ? ['icd9cm-sg', 'icd9cm-dx'] : ['icd9cm-dx', 'icd9cm-sg'];
      if (/icd[-\s]?10/.test(c)) return /pcs|proc/.test(c) ? ['icd10pcs'] : /cm/.test(c) ? ['icd10cm'] : ['icd10cm', 'icd10pcs'];
      return /proc/.test(c) ? ['icd10pcs', 'icd9cm-sg'] : [];
    case 'procedure':
      return ['icd10pcs', 'icd9cm-sg'];
    case 'diagnosis':
      return ['icd10cm', 'icd9cm-dx'];
    default:
      return [];
  }
}

function findCues(text: string): Cue[] {
  const out: Cue[] = [];
  CUE.lastIndex = 0;
  for (let m = CUE.exec(text); m; m = CUE.exec(text)) {
    const g = m.slice(1, 6).findIndex((x) => x !== undefined);
    const kind = CUE_KINDS[g]!;
    out.push({ start: m.index, end: m.index + m[0].length, kind, hints: hintsOf(kind, m[0]) });
  }
  return out;
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
const isDigitCode = (c: number) => c >= 48 && c <= 57;
const isUpperCode = (c: number) => c >= 65 && c <= 90;
const isLetterCode = (c: number) => isUpperCode(c) || (c >= 97 && c <= 122);
const isAlnumCode = (c: number) => isDigitCode(c) || isLetterCode(c);

/**
 * Where a cue's reach ends, in one pass: a line break; a sentence or clause end; a list marker
 * ("2)", "3.Text"); an upper-case label that opens a section inside a line ("..., FINDINGS: ").
 */
function segmentStarts(text: string): { segments: number[]; sentences: number[] } {
  const out = [0];
  // sentences: the same ends but ";" (list items of one sentence)
  const sentences = [0];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    if (c === 10) {
      out.push(i + 1);
      sentences.push(i + 1);
    } else if (c === 46 || c === 33 || c === 63 || c === 59) {
      // ". " "! " "? " "; ", also ".," where line breaks were flattened to commas
      if (next === -1 || isSpace(next) || next === 44) {
        out.push(i + 1);
        if (c !== 59) sentences.push(i + 1);
      }
      // "3.Text": a list marker glued to its item
      else if (c === 46 && isLetterCode(next) && listNumberBefore(text, i)) {
        out.push(i + 1);
        sentences.push(i + 1);
      }
    } else if (c === 41) {
      // "2)" but not "(723.1)" or "(22585)"
      if (listNumberBefore(text, i)) {
        out.push(i + 1);
        sentences.push(i + 1);
      }
    } else if ((isSpace(c) || c === 44) && isUpperCode(next) && labelAt(text, i + 1)) {
      out.push(i + 1);
      sentences.push(i + 1);
    }
  }
  return { segments: out, sentences };
}

/** one or two digits end at `at`, with no letter, digit or dot before them */
function listNumberBefore(text: string, at: number): boolean {
  let j = at;
  while (j > 0 && at - j < 3 && isDigitCode(text.charCodeAt(j - 1))) j--;
  if (j === at || at - j > 2) return false;
  const before = j > 0 ? text.charCodeAt(j - 1) : -1;
  return !(isAlnumCode(before) || before === 46);
}

/** "FINDINGS:" or "CPT CODE(S):" starts at `at`: capitals, spaces and a few signs, then a colon */
function labelAt(text: string, at: number): boolean {
  const end = Math.min(text.length, at + 42);
  for (let j = at + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 58) return j - at >= 2;
    if (!(isUpperCode(c) || c === 32 || c === 47 || c === 38 || c === 40 || c === 41 || c === 45)) return false;
  }
  return false;
}

/** A line that is only a cue, as a header over lines of codes: "ICD-9 codes:", "ICD9 CODE(S):", "Diagnoses" */
function headerCue(line: string): Cue | undefined {
  if (line.length > 60) return undefined;
  const trimmed = line.trim();
  const cues = findCues(trimmed);
  if (cues.length === 0) return undefined;
  const last = cues[cues.length - 1]!;
  // only punctuation or other cue words around the cue ("PRINCIPAL DIAGNOSIS CODES:")
  const rest = trimmed.slice(0, cues[0]!.start) + trimmed.slice(last.end);
  return /^[\s\-:#*•]*(?:(?:principal|primary|secondary|discharge|admitting|final|other|pre-?op(?:erative)?|post-?op(?:erative)?)\s*)*[\s:#*•-]*$/i.test(rest) ? last : undefined;
}

/** the rest of a parenthesis that holds only codes: "HTN (I10)", "(E11.9, I10)"; not "(C301 -> T)", "(F10 - E13)" */
const CODES_TO_PAREN = /^(?:\s*[,;/]\s*[A-Za-z]?[0-9][0-9A-Za-z]{1,6}(?:\.[0-9A-Za-z]{1,4})?)*\s*\)/;

/** text before a code on its line, when the code is the line's first token ("4019", "2. 250.00", "- E11.9") */
const LINE_LEAD = /^\s*(?:(?:\d{1,2}[.)]|[-*•])\s*)?$/;

const QUANTITY_WORDS = new Set(
  (
    // identifiers and their labels
    'mrn acct account acc room rm bed ext extension phone ph tel telephone fax pager npi dea id no num number lot zip apt suite ste unit ' +
    'model serial sn ref reference catalog cat confirmation conf claim auth authorization policy member group invoice order accession specimen case ticket ' +
    'cpt hcpcs drg rev dob age aged ' +
    // vitals
    'bp sbp dbp hr p pulse rr r resp respirations t temp temperature tmax t-max max maximum highest peak febrile fever spiked spo2 sat sats o2 fio2 peep ' +
    'wt weight weighs weighed ht height bmi ' +
    // labs
    'glucose gluc glu bg fsbg cbg fingerstick sugar na sodium k potassium cl chloride co2 hco3 bicarb bicarbonate bun urea cr creat creatinine ' +
    'ca calcium mg magnesium phos phosphorus phosphate albumin protein wbc hgb hb hemoglobin hct hematocrit plt platelet platelets ' +
    'inr pt ptt aptt a1c hba1c ldl hdl tg trig trigs triglyceride triglycerides chol cholesterol osm osmolality osmolarity tsh t3 t4 ' +
    'ast alt alp bili bilirubin lipase amylase troponin trop bnp lactate ldh ck cpk ckmb esr crp anc mcv rdw ferritin iron folate b12 psa ' +
    'uop egfr gfr ef qtc qrs pr vent ph pco2 po2 ' +
    // tracer and contrast doses
    'omnipaque isovue visipaque optiray ultravist omniscan magnevist gadavist dotarem conray hypaque iohexol iopamidol iodixanol contrast ' +
    'act score level levels dose dosed dosing x times total count ' +
    'at on since until by from to in over under approx approximately about ' +
    'mmhg'
  ).split(' '),
);
const UNIT_AFTER =
  /^[\s-]?(?:mg|mcg|µg|ug|g|gm|grams?|kg|kgs|kilos?|kilograms?|lbs?|pounds?|oz|ounces?|ml|l|liters?|cc|dl|meq|mmol|umol|µmol|nmol|pmol|mosm|iu|units?|u|%|percent|mm|cm|m|km|mi|miles?|inch(?:es)?|ft|feet|mmhg|bpm|hz|kcal|cal|calories|ms|msec|milliseconds?|sec|seconds?|s|min|mins|minutes?|hrs?|hours?|h|days?|d|wks?|weeks?|mos?|months?|y|yrs?|years?|yo|y\/o|year[-\s]old|am|pm|°|degrees?|f|c|x|times?|tabs?|tablets?|caps?|capsules?|puffs?|drops?|sprays?|patch(?:es)?|cells|k\/ul|per|ng|pg|mci|mbq|gy|cgy|rads?|mev|kv|millivolts?|mv|volts?|ohms?|joules?|j|watts?|diopters?|fr|french|gauge|dye|steps|beats|breaths|mets)(?![a-z])/i;
const NOT_CODE_AFTER = /^\s?(?:mask|masks|respirator|antigen|protein)\b/i;
/** how far (characters) a named category may be from the accepted code of its list ("Obesity 278.0; Hypertension 401.9") */
const NAMED_CATEGORY_REACH = 80;
const LIST_GAP = /^[\s,;&/]*(?:(?:and|or|&)\s*)?[\s,;]*$/i;
// vitals shorthand: "P95 R20 T36.6 BP169/104"
// (temperature in °C or °F, pulse, breaths: whole numbers, so "R50.9" and "R07.9" stay codes)
const VITAL_SHAPE = /^(?:T(?:3[4-9]|4[0-2]|9[5-9]|10[0-6])(?:\.[0-9])?|P[0-9]{2,3}|R[0-9]{2})$/i;
const VITALS_NEARBY = /(?:^|[^A-Za-z])(?:BP|HR|RR|SpO2|sats?|pulse|temp|resp)(?![a-z])|\d{2,3}\/\d{2,3}/i;

const LINKING = new Set([
  ...['is', 'was', 'of', 'were', 'are', 'now', 'remains', 'remain', 'ranging', 'recorded', 'measured', 'noted', 'reported', 'found', 'checked'],
  ...['today', 'yesterday', 'above', 'below', 'than', 'greater', 'less', 'maintained', 'kept'],
]);

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}
function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}

/** "723.1" in "723.1/723.4": a code beside the slash, not a ratio or a date */
const DOTTED_CODE_BEFORE_SLASH = /(?:^|[^A-Za-z0-9.])[A-Za-z]?[0-9]{2,3}\.[0-9A-Za-z]{1,4}\/$/;
const DOTTED_CODE_AFTER_SLASH = /^\/[A-Za-z]?[0-9]{2,3}\.[0-9A-Za-z]{1,4}(?![0-9A-Za-z.\/])/;
/**
 * "786.2,786.07" and ",V72.82,305.1": diagnosis codes joined by a comma with no space, as coders type
 * indications. Only diagnosis shapes (three characters before the dot) on both sides: "2,780.79" stays a
 * number, and dotted numbers in a comma list ("12.5,13.2") stay quantities.
 */
const DIAGNOSIS_DOTTED = /^(?:[A-Za-z][0-9][0-9A-Za-z]|[0-9]{3})\.[0-9A-Za-z]{1,4}$/;
const DIAGNOSIS_DOTTED_BEFORE_COMMA = /(?:^|[^A-Za-z0-9.,]|(?:^|[^0-9]),)(?:[A-Za-z][0-9][0-9A-Za-z]|[0-9]{3})\.[0-9A-Za-z]{1,4},$/;
const DIAGNOSIS_DOTTED_AFTER_COMMA = /^,(?:[A-Za-z][0-9][0-9A-Za-z]|[0-9]{3})\.[0-9A-Za-z]{1,4}(?![0-9A-Za-z.\/])/;

/** "786.07" in "786.2,786.07", "185" in ",719.41,185": a code after a dotted diagnosis code and a comma */
function listedAfterDottedCode(text: string, start: number, end: number, dotted: boolean): boolean {
  const shaped = dotted ? DIAGNOSIS_DOTTED.test(text.slice(start, end)) : end - start === 3;
  return shaped && DIAGNOSIS_DOTTED_BEFORE_COMMA.test(text.slice(Math.max(0, start - 10), start));
}

/** true when the characters around the token make it part of a date, time, range, phone number or larger number */
function glued(text: string, start: number, end: number, numeric: boolean, dotted: boolean): boolean {
  const b = text[start - 1];
  const bb = text[start - 2];
  const a = text[end];
  const aa = text[end + 1];
  // slashes join numbers (120/80, 3/8/1950) far more often than codes, except two dotted codes (401.9/250.00)
  if (numeric && b === '/' && !(dotted && DOTTED_CODE_BEFORE_SLASH.test(text.slice(Math.max(0, start - 12), start)))) return true;
  if (numeric && a === '/' && !(dotted && DOTTED_CODE_AFTER_SLASH.test(text.slice(end, end + 12)))) return true;
  if (b !== undefined && '$#+^_@\\=<>~±≤≥'.includes(b)) return true;
  if (b === ':' && isDigit(bb)) return true;
  // after a dotted diagnosis code and a comma, a dotted one ("786.2,786.07") or a three-digit one (",719.41,185")
  if (b === ',' && numeric && isDigit(bb) && !listedAfterDottedCode(text, start, end, dotted)) return true;
  if (b === '.' && isAlnum(bb)) return true;
  // after a hyphen: a negative number, or the end of a range, date or phone number (E08-E13, 555-1234);
  // "DM-E11.9" is a code after a word
  if (b === '-' && (numeric || /[0-9][A-Za-z0-9.]*-$/.test(text.slice(Math.max(0, start - 10), start)))) return true;
  if (a !== undefined && '%°@_\\'.includes(a)) return true;
  // a one-digit suffix after a dotted code ("780.53-0") is not a range ("19.9-21.5")
  if (a === '-' && dotted && isDigit(aa) && !isAlnum(text[end + 2]) && text[end + 2] !== '.') return false;
  if (a === ',' && dotted && DIAGNOSIS_DOTTED.test(text.slice(start, end)) && (DIAGNOSIS_DOTTED_AFTER_COMMA.test(text.slice(end, end + 10)) || /^,[0-9]{3}(?![0-9A-Za-z.,/])/.test(text.slice(end, end + 6)))) return false;
  if ((a === ':' || a === '-' || a === ',' || a === '.') && isDigit(aa)) return true;
  // before a hyphen: the start of a range ("E08-E13"), not "E11.9-Type 2 DM"
  if (a === '-' && /^-[A-Z]?[0-9]/.test(text.slice(end, end + 3))) return true;
  // "(555) 123-4567"
  if (b === '(' && a === ')' && /^\)\s?\d{3}[-.\s]\d{4}/.test(text.slice(end, end + 12))) return true;
  return false;
}

/**
 * The word before `start` on its line, lower case, skipping separators ("Na: 138", "model # N119")
 * and up to two linking words ("CK recorded is 1500"). Words keep inner slashes and hyphens: "s/p", "t-max".
 */
function previousWord(text: string, lineStart: number, start: number): string | undefined {
  const floor = Math.max(lineStart, start - 48);
  let i = start;
  let w = '';
  for (let n = 0; n < 3; n++) {
    while (i > floor && SEPARATORS.includes(text[i - 1]!)) i--;
    const end = i;
    while (i > floor && (isAlnum(text[i - 1]) || ((text[i - 1] === '/' || text[i - 1] === '-') && isAlnum(text[i - 2]) && i < end))) i--;
    w = text.slice(i, end).toLowerCase();
    if (!LINKING.has(w)) break;
  }
  return w && /^[a-z]/.test(w) ? w : undefined;
}
const SEPARATORS = ' \t:=~-#';

function quantityContext(text: string, lineStart: number, lineEnd: number, start: number, end: number, written: string, numeric: boolean): boolean {
  const after = text.slice(end, Math.min(lineEnd, end + 16));
  if (NOT_CODE_AFTER.test(after)) return true;
  if (VITAL_SHAPE.test(written) && VITALS_NEARBY.test(text.slice(Math.max(lineStart, start - 40), Math.min(lineEnd, end + 40)))) return true;
  if (!numeric) return false;
  if (UNIT_AFTER.test(after)) return true;
  const word = previousWord(text, lineStart, start);
  return word !== undefined && QUANTITY_WORDS.has(word);
}

function wordCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isAlnum(s[i]) && !isAlnum(s[i - 1])) n++;
  return n;
}

/** Every token shaped like a code whose context does not mark it as a quantity, with its cue. */
export function findCandidates(text: string): Candidate[] {
  const out: Candidate[] = [];
  const { segments, sentences } = segmentStarts(text);
  const cues = findCues(text);
  let seg = 0;
  let sentence = 0;
  let cue = -1;
  // the line the scan is on, and whether a header of codes governs it ("ICD-9 codes:" above "25000")
  let lineStart = 0;
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = text.length;
  let header: Cue | undefined;
  const leaveLine = () => {
    const line = text.slice(lineStart, Math.min(lineEnd, lineStart + 64));
    const h = headerCue(lineEnd - lineStart <= 60 ? line : '');
    if (h) header = h.kind === 'foreign' ? undefined : h;
    else if (line.trim() !== '' && !/^\s*(?:(?:\d{1,2}[.)]|[-*•])\s*)?[A-Za-z]?[0-9]/.test(line)) header = undefined;
    lineStart = lineEnd + 1;
    lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = text.length;
  };

  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const written = m[0];
    const upper = written.toUpperCase();
    if (written.length < 3 || written.length > 8 || !CANDIDATE.test(upper)) continue;
    const start = m.index;
    const end = start + written.length;
    while (lineEnd < start) leaveLine();
    while (seg + 1 < segments.length && segments[seg + 1]! <= start) seg++;
    while (sentence + 1 < sentences.length && sentences[sentence + 1]! <= start) sentence++;
    while (cue + 1 < cues.length && cues[cue + 1]!.end <= start) cue++;
    const numeric = /^[0-9.]+$/.test(written);
    const dotted = written.includes('.');
    if (glued(text, start, end, numeric, dotted)) continue;
    // four-digit years are dates, whatever a code table says
    if (numeric && /^(?:19|20)\d\d$/.test(written)) continue;
    // a quantity is never a code, nor does it break a list of codes: it is simply not a candidate
    if (quantityContext(text, lineStart, lineEnd, start, end, written, numeric)) continue;
    const systems = systemsForWritten(upper);
    if (!systems.length) continue;

    let context: Cue | undefined;
    const c = cue >= 0 ? cues[cue]! : undefined;
    if (c && c.start >= segments[seg]! && start - c.end <= CUE_REACH.chars && wordCount(text.slice(c.end, start)) <= CUE_REACH.words) context = c;
    if (!context && header && start - lineStart <= 8 && LINE_LEAD.test(text.slice(lineStart, start))) context = header;
    const cued = context !== undefined && context.kind !== 'foreign';
    out.push({
      start,
      end,
      written,
      code: upper.replace('.', ''),
      systems,
      numeric,
      dotted,
      cued,
      hinted: cued ? context!.hints : [],
      procedureCue: cued && context!.kind === 'procedure',
      icdCue: cued && (context!.kind === 'icd' || context!.kind === 'code'),
      parenthesized: (text[start - 1] === '(' || (text[start - 1] === ' ' && text[start - 2] === '(')) && CODES_TO_PAREN.test(text.slice(end, end + 40)),
      temperatureLike: numeric && dotted && /^10[0-9]\./.test(written),
      sentence: sentences[sentence]!,
      afterWord: numeric && dotted && /[A-Za-z]{3}[ \t]+$/.test(text.slice(Math.max(0, start - 12), start)),
    });
  }
  return out;
}

const BASE_ORDER: Record<IcdSystem, number> = { icd10cm: 4, icd10pcs: 3, 'icd9cm-dx': 2, 'icd9cm-sg': 1 };
const family = (s: IcdSystem) => (s.startsWith('icd9') ? 9 : 10);
const PROCEDURE_SYSTEMS: ReadonlySet<IcdSystem> = new Set(['icd10pcs', 'icd9cm-sg']);

/** whether a candidate is a code in `system` without any code context around it */
function standsAlone(c: Candidate, system: IcdSystem, known: CodeKnowledge): boolean {
  switch (system) {
    case 'icd9cm-sg':
      // ICD-9 procedure codes look like decimals (12.5, 37.2)
      return false;
    case 'icd9cm-dx':
      return c.dotted && !c.temperatureLike;
    case 'icd10cm':
      // "L45" (L4-5), "P53" (a stain), "N119" (a device model): only the dotted, billable form is unmistakable
      return c.dotted && known.billable(system, c.code);
    case 'icd10pcs':
      return !c.numeric;
  }
}

/**
 * Keeps candidates that are codes and orders each one's readings: the cue's
 * systems first, then the revision most other codes in the note use, then
 * ICD-10-CM, ICD-10-PCS, ICD-9-CM diagnosis, ICD-9-CM procedure.
 */
export function resolveDetections(text: string, candidates: Candidate[], known: CodeKnowledge): Detection[] {
  const kept: Array<{ c: Candidate; readings: IcdSystem[]; context: boolean; hinted: IcdSystem[] }> = [];
  let prev: { end: number; hinted: IcdSystem[] } | undefined;
  // "Obesity 278.0; Hypertension 401.9": a dotted ICD-9-CM category the files list only through its codes,
  // written after a name, is a code when its sentence holds an accepted code
  const namedCategories: Candidate[] = [];
  for (const c of candidates) {
    // a code in a list after a cued or accepted code shares its context ("ICD-9: 250.00, 401.9, 272.4")
    const listed = prev !== undefined && c.start - prev.end <= 12 && LIST_GAP.test(text.slice(prev.end, c.start));
    const context = c.cued || listed || (c.parenthesized && !c.numeric);
    const hinted = c.cued ? c.hinted : listed ? prev!.hinted : [];
    const existing = new Set(known.systemsOf(c.code));
    const categories = known.categoryIn?.(c.code) ?? [];
    let readings = c.systems.filter((s) => {
      if (known.installed.has(s)) {
        // most three-digit numbers are ICD-9-CM categories: an unlisted one needs its dot, an ICD cue or a list
        if (!existing.has(s)) return categories.includes(s) && (listed || (context && (c.dotted || c.icdCue)));
        return context || standsAlone(c, s, known);
      }
      if (!context || !hasShape(s, c.code)) return false;
      return s !== 'icd10pcs' || /[0-9]/.test(c.code);
    });
    // "procedure codes: 64640, 64614" are CPT: a number under a procedure cue must be a procedure code
    if (c.procedureCue && c.numeric && !readings.some((s) => PROCEDURE_SYSTEMS.has(s))) readings = [];
    if (!readings.length) {
      if (c.dotted && c.numeric && c.afterWord && !c.temperatureLike && !existing.has('icd9cm-dx') && categories.includes('icd9cm-dx')) namedCategories.push(c);
      if (!listed) prev = undefined;
      continue;
    }
    kept.push({ c, readings, context, hinted });
    prev = { end: c.end, hinted };
  }
  if (namedCategories.length && kept.length) {
    // an accepted code of the same sentence nearby, as in a list: a one-line note of thousands of words is one "sentence"
    const starts = kept.map((k) => k.c.start);
    const near = (c: Candidate) => {
      let lo = 0;
      let hi = starts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! < c.start) lo = mid + 1;
        else hi = mid;
      }
      return [lo - 1, lo].some((i) => i >= 0 && i < kept.length && kept[i]!.c.sentence === c.sentence && Math.abs(starts[i]! - c.start) <= NAMED_CATEGORY_REACH);
    };
    const accepted = namedCategories.filter(near);
    if (accepted.length) {
      for (const c of accepted) kept.push({ c, readings: ['icd9cm-dx'], context: true, hinted: [] });
      kept.sort((a, b) => a.c.start - b.c.start);
    }
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
