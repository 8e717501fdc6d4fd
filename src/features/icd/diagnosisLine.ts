/**
 * Where a note names a diagnosis: a line that starts with a diagnosis heading
 * ("Dx: ...", "Assessment: ...", "Discharge diagnoses: ...") or an item of a
 * list under one. Pure (no vscode import) so the rules are testable; offsets
 * are UTF-16 offsets into the line.
 */

const HEADING =
  /^\s*(?:(?:primary|secondary|principal|final|discharge|admitting|admission|working|differential|preoperative|postoperative|pre-?op|post-?op)\s+)?(?:diagnos[ie]s|dx|ddx|assessment(?:\s*(?:and|&|\/)\s*plan)?|a\s*\/\s*p|a\s*&\s*p|impression|problem\s+list|problems|active\s+problems)\b\s*(?:#\s*\d+)?\s*[:\-–]?\s*/i;
/** "1.", "2)", "-", "*", "•", "#3", "(4)" */
const LIST_MARKER = /^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[-*•]|#\s*\d{0,2}[.)]?)\s+/;
/** a heading of another section: "Plan:", "MEDICATIONS:", "Social history" in capitals */
const OTHER_HEADING = /^\s*(?:[A-Za-z][A-Za-z /&-]{1,40}:\s*$|[A-Z][A-Z /&-]{2,40}:?\s*$)/;
/** "HPI: ...", "PMH:", "Plan:": a labelled line of another kind */
const LABEL = /^\s*[A-Za-z][A-Za-z /&-]{0,30}:(?:\s|$)/;
/** a phrase ends where the plan for it begins: " - continue metformin", "; f/u", ": stable" */
const PHRASE_END = /\s[-–—]\s|;|:\s|\.\s|\s{3,}/;
const LOOK_BACK = 40;
const MIN_PHRASE = 3;
const MAX_PHRASE = 200;

export interface PhraseSpan {
  start: number;
  end: number;
}

/** the diagnosis phrase on a line of a note, if the line names one */
export function diagnosisPhrase(lines: readonly string[], lineNo: number): PhraseSpan | undefined {
  const line = lines[lineNo];
  if (line === undefined || !line.trim()) return undefined;
  const heading = HEADING.exec(line);
  if (heading && heading[0].length < line.length) return phraseAfter(line, heading[0].length);
  if (heading) return undefined; // a heading alone
  if (LABEL.test(line) || OTHER_HEADING.test(line) || !inDiagnosisSection(lines, lineNo)) return undefined;
  const marker = LIST_MARKER.exec(line);
  return phraseAfter(line, marker ? marker[0].length : line.length - line.trimStart().length);
}

function inDiagnosisSection(lines: readonly string[], lineNo: number): boolean {
  for (let i = lineNo - 1; i >= Math.max(0, lineNo - LOOK_BACK); i--) {
    const l = lines[i]!;
    if (!l.trim()) continue;
    if (HEADING.test(l)) return true;
    if ((OTHER_HEADING.test(l) || LABEL.test(l)) && !LIST_MARKER.test(l)) return false;
  }
  return false;
}

function phraseAfter(line: string, from: number): PhraseSpan | undefined {
  let start = from;
  const marker = LIST_MARKER.exec(line.slice(start));
  if (marker) start += marker[0].length;
  while (start < line.length && /\s/.test(line[start]!)) start++;
  const rest = line.slice(start);
  const cut = PHRASE_END.exec(rest.slice(MIN_PHRASE));
  let end = start + (cut ? cut.index + MIN_PHRASE : rest.length);
  while (end > start && /[\s,.]/.test(line[end - 1]!)) end--;
  if (end - start < MIN_PHRASE) return undefined;
  return { start, end: Math.min(end, start + MAX_PHRASE) };
}

/**
 * The text that writes a chosen code after a phrase: " (E11.9)", or "E11.9"
 * where the phrase already ends in an opening parenthesis.
 */
export function codeInsertion(textBefore: string, display: string): string {
  if (/\($/.test(textBefore)) return display;
  return /(^|\s)$/.test(textBefore) ? `(${display})` : ` (${display})`;
}
