/**
 * Readers for the public annotated sets that scripts/eval/assertion.ts scores
 * assertion status against (sources and licences in scripts/eval/README.md).
 * Each set becomes a list of entities in their text with the statuses the
 * set labels; a status a set does not label is absent from `gold`.
 *
 * - context: the ConText / NegEx test kit (Chapman, Harkema et al.): one
 *   condition per row, labelled negated, historical, hypothetical and
 *   experiencer.
 * - openi, cmc2007: radiology reports whose findings were coded by people
 *   for the whole report (OpenI: MeSH terms; CMC 2007: ICD-9-CM codes), and
 *   coded only when the report asserts them (a negated or uncertain finding
 *   is not coded). Each mention of a finding from a fixed list becomes an
 *   entity: in a report not coded with the finding, every mention is
 *   `absent` (negated, uncertain or hypothetical); in a report coded with
 *   it, a single mention is `present` (neither); several mentions (one of them present,
 *   which one unknown) and reports coded only with a neighbouring finding
 *   ("Airspace Disease" for a mention of consolidation) are left out.
 */
import { readFileSync } from 'node:fs';

export type Status = 'negated' | 'historical' | 'hypothetical' | 'experiencer' | 'absent' | 'present';
export const STATUSES: readonly Status[] = ['negated', 'historical', 'hypothetical', 'experiencer', 'absent', 'present'];
export type SetName = 'context' | 'openi' | 'cmc2007';
export const SET_NAMES: readonly SetName[] = ['context', 'openi', 'cmc2007'];

export interface Item {
  id: string;
  text: string;
  start: number;
  end: number;
  /** what the dev / held-out split is decided by: the sentence (kit) or the report (report sets) */
  splitKey: string;
  gold: Partial<Record<Status, boolean>>;
}

export interface ReadResult {
  items: Item[];
  /** rows or mentions that could not be used, and why */
  skipped: Record<string, number>;
}

/** FNV-1a: the same key always lands in the same split */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** held-out: about 30% of split keys */
export function splitOf(key: string): 'dev' | 'held-out' {
  return hash(key.replace(/\s+/g, ' ').trim().toLowerCase()) % 10 < 3 ? 'held-out' : 'dev';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------- ConText kit

/**
 * Where the condition lies in its sentence. The kit writes the condition in
 * capitals inside an otherwise mixed-case sentence; when the sentence is all
 * capitals, the first occurrence is taken.
 */
function locate(sentence: string, phrase: string): [number, number] | undefined {
  const words = phrase.trim().split(/\s+/).map(escapeRegExp);
  if (words.length === 0 || words[0] === '') return undefined;
  const re = new RegExp(words.join('\\s+'), 'gi');
  let first: [number, number] | undefined;
  for (const m of sentence.matchAll(re)) {
    const span: [number, number] = [m.index, m.index + m[0].length];
    first ??= span;
    if (m[0] === m[0].toUpperCase() && /[A-Z]/.test(m[0])) return span;
  }
  return first;
}

/** Rows: number, condition, sentence, negation, temporality, experiencer (a header line is skipped). */
export function readContextKit(file: string): ReadResult {
  const items: Item[] = [];
  let notLocated = 0;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const cols = line.split('\t');
    if (cols.length < 6 || !/^\d+$/.test(cols[0]!.trim())) continue;
    // the genConText copy has an empty second column
    const [id, phrase, sentence, neg, temp, exp] = cols.length >= 7 ? [cols[0], cols[2], cols[3], cols[4], cols[5], cols[6]] : cols;
    const span = locate(sentence!, phrase!);
    if (!span) {
      notLocated++;
      continue;
    }
    items.push({
      id: id!.trim(),
      text: sentence!,
      start: span[0],
      end: span[1],
      splitKey: sentence!,
      gold: {
        negated: /^negated$/i.test(neg!.trim()),
        historical: /^historical$/i.test(temp!.trim()),
        hypothetical: /^not particular$|^hypothetical$/i.test(temp!.trim()),
        experiencer: !/^patient$/i.test(exp!.trim()),
      },
    });
  }
  return { items, skipped: { 'condition not in its sentence': notLocated } };
}

// ------------------------------------------------------------- report sets

/** A finding looked for in reports: how it is written, and the codes that assert it. */
interface Finding {
  name: string;
  mention: RegExp;
  /** codes (MeSH main headings, ICD-9-CM codes) that say the report asserts the finding */
  codes: readonly string[];
  /** codes of neighbouring findings a coder may have chosen instead: such reports are left out for this finding */
  near?: readonly string[];
}

interface Report {
  id: string;
  text: string;
  /** where mentions are looked for: [start, end) in text */
  regions: ReadonlyArray<[number, number]>;
  /** where a mention means the codes may come from it (a clinical history): a coded report mentioning it there is left out */
  elsewhere?: ReadonlyArray<[number, number]>;
  codes: ReadonlySet<string>;
}

function mentionsOf(f: Finding, text: string, regions: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [from, to] of regions) {
    const re = new RegExp(f.mention.source, 'gi');
    for (const m of text.slice(from, to).matchAll(re)) out.push([from + m.index, from + m.index + m[0].length]);
  }
  return out;
}

function reportItems(reports: readonly Report[], findings: readonly Finding[]): ReadResult {
  const items: Item[] = [];
  const skipped: Record<string, number> = { 'coded report, several mentions': 0, 'coded with a neighbouring finding only': 0, 'coded report, also named in the history': 0 };
  for (const r of reports) {
    for (const f of findings) {
      const mentions = mentionsOf(f, r.text, r.regions);
      if (mentions.length === 0) continue;
      const coded = f.codes.some((c) => r.codes.has(c));
      if (!coded && (f.near ?? []).some((c) => r.codes.has(c))) {
        skipped['coded with a neighbouring finding only']! += mentions.length;
        continue;
      }
      if (coded && mentions.length > 1) {
        skipped['coded report, several mentions']! += mentions.length;
        continue;
      }
      if (coded && r.elsewhere && mentionsOf(f, r.text, r.elsewhere).length > 0) {
        skipped['coded report, also named in the history']! += mentions.length;
        continue;
      }
      for (const [start, end] of mentions) {
        items.push({ id: `${r.id}:${f.name}:${start}`, text: r.text, start, end, splitKey: r.id, gold: { absent: !coded, present: coded } });
      }
    }
  }
  return { items, skipped };
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * Findings of chest radiographs, with the MeSH main headings the OpenI coders
 * used for them (the "Problems" column). The word lists were fixed before any
 * figure was run.
 */
const OPENI_FINDINGS: readonly Finding[] = [
  { name: 'effusion', mention: /\b(?:pleural\s+)?effusions?\b/, codes: ['Pleural Effusion'], near: ['Costophrenic Angle', 'Thickening'] },
  { name: 'pneumothorax', mention: /\bpneumothora(?:x|ces)\b/, codes: ['Pneumothorax'] },
  { name: 'cardiomegaly', mention: /\bcardiomegaly\b/, codes: ['Cardiomegaly'], near: ['Cardiac Shadow', 'Heart'] },
  { name: 'consolidation', mention: /\bconsolidations?\b/, codes: ['Consolidation'], near: ['Airspace Disease', 'Pneumonia', 'Opacity', 'Infiltrate', 'Density'] },
  { name: 'pneumonia', mention: /\bpneumonias?\b/, codes: ['Pneumonia'], near: ['Airspace Disease', 'Consolidation', 'Opacity', 'Infiltrate', 'Density'] },
  { name: 'edema', mention: /\bedema\b/, codes: ['Pulmonary Edema', 'Edema'], near: ['Pulmonary Congestion', 'Heart Failure'] },
  { name: 'atelectasis', mention: /\batelecta(?:sis|ses|tic)\b/, codes: ['Pulmonary Atelectasis'], near: ['Opacity', 'Density', 'Airspace Disease'] },
  {
    name: 'emphysema',
    mention: /\bemphysema(?:tous)?\b/,
    codes: ['Emphysema', 'Pulmonary Emphysema', 'Bullous Emphysema', 'Subcutaneous Emphysema'],
    near: ['Pulmonary Disease, Chronic Obstructive'],
  },
  { name: 'nodule', mention: /\bnodules?\b/, codes: ['Nodule'], near: ['Calcified Granuloma', 'Granuloma', 'Mass', 'Density', 'Opacity'] },
  { name: 'mass', mention: /\bmass(?:es)?\b/, codes: ['Mass'], near: ['Nodule', 'Density', 'Opacity'] },
  { name: 'fracture', mention: /\bfractures?\b/, codes: ['Fractures, Bone'], near: ['Deformity'] },
  { name: 'granuloma', mention: /\bgranulomas?\b/, codes: ['Granuloma', 'Calcified Granuloma', 'Granulomatous Disease'], near: ['Calcinosis', 'Nodule'] },
  { name: 'scoliosis', mention: /\bscoliosis\b/, codes: ['Scoliosis'], near: ['Spine', 'Thoracic Vertebrae'] },
  { name: 'hernia', mention: /\bhernias?\b/, codes: ['Hernia, Hiatal', 'Hernia'] },
  { name: 'infiltrate', mention: /\binfiltrates?\b/, codes: ['Infiltrate'], near: ['Airspace Disease', 'Opacity', 'Pneumonia', 'Consolidation'] },
  { name: 'opacity', mention: /\bopacit(?:y|ies)\b/, codes: ['Opacity'], near: ['Density', 'Airspace Disease', 'Consolidation', 'Infiltrate', 'Pulmonary Atelectasis', 'Pneumonia'] },
  { name: 'congestion', mention: /\bcongestion\b/, codes: ['Pulmonary Congestion'], near: ['Pulmonary Edema', 'Edema'] },
  { name: 'scarring', mention: /\bscar(?:s|ring)?\b/, codes: ['Cicatrix'], near: ['Opacity', 'Density'] },
  { name: 'kyphosis', mention: /\bkyphosis\b/, codes: ['Kyphosis'], near: ['Spine', 'Thoracic Vertebrae'] },
];

/**
 * OpenI chest radiograph reports (Indiana University): the CSV with columns
 * uid, MeSH, Problems, image, indication, comparison, findings, impression.
 * The note is the findings and impression under their headers, as written
 * in a report; mentions are looked for in both.
 */
export function readOpenI(file: string): ReadResult {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = rows.shift() ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the OpenI file has no "${name}" column`);
    return i;
  };
  const [uid, problems, findings, impression] = [col('uid'), col('Problems'), col('findings'), col('impression')];
  const reports: Report[] = [];
  let empty = 0;
  let unindexed = 0;
  for (const r of rows) {
    if (r.length < header.length) continue;
    const codes = new Set(r[problems]!.split(';').map((p) => p.trim()));
    // "No Indexing": the coders left the report out
    if (codes.has('No Indexing')) {
      unindexed++;
      continue;
    }
    const f = r[findings]!.trim();
    const i = r[impression]!.trim();
    if (!f && !i) {
      empty++;
      continue;
    }
    let text = '';
    const regions: Array<[number, number]> = [];
    for (const [label, body] of [['FINDINGS', f], ['IMPRESSION', i]] as const) {
      if (!body) continue;
      text += `${label}: `;
      regions.push([text.length, text.length + body.length]);
      text += `${body}\n`;
    }
    reports.push({ id: `CXR${r[uid]!.trim()}`, text, regions, codes });
  }
  const out = reportItems(reports, OPENI_FINDINGS);
  return { items: out.items, skipped: { 'report without findings or impression': empty, 'report not indexed': unindexed, ...out.skipped } };
}

/**
 * Findings of paediatric radiology (chest, renal ultrasound, cystography)
 * with the ICD-9-CM codes of the CMC 2007 challenge's majority coding. The
 * challenge coded only asserted diagnoses ("uncertain codes should not be
 * coded"), and a symptom only when no diagnosis explains it, so diagnoses
 * are taken here, not symptoms.
 */
const CMC_FINDINGS: readonly Finding[] = [
  { name: 'pneumonia', mention: /\bpneumonias?\b/, codes: ['486'], near: ['518.0', '079.99'] },
  { name: 'atelectasis', mention: /\batelecta(?:sis|ses|tic)\b/, codes: ['518.0'], near: ['486'] },
  { name: 'hydronephrosis', mention: /\bhydro(?:uretero)?nephrosis\b/, codes: ['591'], near: ['593.89', '753.21', '753.29', '753.3', '593.5'] },
  { name: 'reflux', mention: /\b(?:vesico\s*-?\s*ureter(?:al|ic)\s+)?reflux\b|\bVUR\b/, codes: ['593.70', '593.71', '593.72', '593.73'], near: ['593.89', '591'] },
];

/**
 * The one finding of the CMC set coded by time: a urinary tract infection
 * named in the clinical history is coded 599.0 when it is the present
 * illness and V13.02 ("personal history of urinary tract infection") when
 * it is past. A single mention in a report coded with one of the two (not
 * both) is labelled `historical` or not.
 */
const CMC_HISTORY_FINDING = { mention: /\b(?:UTI'?s?|urinary\s+tract\s+infections?)\b/, current: ['599.0'], past: ['V13.02', 'V13.09'] };

function cmcHistoryItems(reports: readonly Report[]): Item[] {
  const f = CMC_HISTORY_FINDING;
  const items: Item[] = [];
  for (const r of reports) {
    const current = f.current.some((c) => r.codes.has(c));
    const past = f.past.some((c) => r.codes.has(c));
    if (current === past || !r.elsewhere) continue;
    const mentions = mentionsOf({ name: 'uti', mention: f.mention, codes: [] }, r.text, r.elsewhere);
    if (mentions.length !== 1) continue;
    const [start, end] = mentions[0]!;
    items.push({ id: `${r.id}:uti:${start}`, text: r.text, start, end, splitKey: r.id, gold: { historical: past } });
  }
  return items;
}

function xmlText(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/**
 * The CMC 2007 Medical NLP Challenge training set (Cincinnati Children's
 * radiology; the text BioScope's clinical part annotated): `<doc id>` with
 * `<code origin="CMC_MAJORITY">` and `<text type="CLINICAL_HISTORY|IMPRESSION">`.
 * Mentions are looked for in the impression; a coded report that names the
 * finding in its clinical history is left out (the code may come from there).
 * Urinary tract infections in the clinical history are labelled historical
 * or not (CMC_HISTORY_FINDING).
 */
export function readCmc2007(file: string): ReadResult {
  const xml = readFileSync(file, 'utf8');
  const reports: Report[] = [];
  for (const m of xml.matchAll(/<doc id="([^"]+)"[^>]*>([\s\S]*?)<\/doc>/g)) {
    const body = m[2]!;
    const codes = new Set([...body.matchAll(/<code origin="CMC_MAJORITY"[^>]*>([^<]*)<\/code>/g)].map((c) => c[1]!.trim()));
    const texts = new Map([...body.matchAll(/<text [^>]*type="([A-Z_]+)"[^>]*>([^<]*)<\/text>/g)].map((t) => [t[1]!, xmlText(t[2]!).trim()]));
    let text = '';
    const regions: Array<[number, number]> = [];
    const elsewhere: Array<[number, number]> = [];
    for (const [type, label, into] of [['CLINICAL_HISTORY', 'CLINICAL HISTORY', elsewhere], ['IMPRESSION', 'IMPRESSION', regions]] as const) {
      const t = texts.get(type);
      if (!t) continue;
      text += `${label}: `;
      into.push([text.length, text.length + t.length]);
      text += `${t}\n`;
    }
    reports.push({ id: m[1]!, text, regions, elsewhere, codes });
  }
  const out = reportItems(reports, CMC_FINDINGS);
  return { items: [...out.items, ...cmcHistoryItems(reports)], skipped: out.skipped };
}

export function readSet(set: SetName, file: string): ReadResult {
  if (set === 'openi') return readOpenI(file);
  if (set === 'cmc2007') return readCmc2007(file);
  return readContextKit(file);
}
