/**
 * Context rules for short abbreviations in the default lexicon: a match of the
 * term (as written, case included) is dropped when the text right after or
 * right before it shows another reading. Each rule comes from hits judged on
 * real transcribed notes (docs/lexicon.md); abbreviations too ambiguous for
 * a rule are left out of the lexicon instead (scripts/lexicon/left-out.txt).
 */

export interface ContextRule {
  /** the abbreviation as written */
  term: string;
  /** why, for the docs and the tests */
  reading: string;
  /** the text after the match (from its end) shows another reading */
  notBefore?: RegExp;
  /** the text before the match (up to its start) shows another reading */
  notAfter?: RegExp;
}

export const DEFAULT_CONTEXT_RULES: readonly ContextRule[] = [
  {
    term: 'PE',
    reading: 'pressure equalization tubes ("PE tubes"), the physical exam header ("PE:"), physical education ("doing PE", "any PE")',
    notBefore: /^(?:\s*:|\s+tubes?\b)/i,
    notAfter: /\b(?:any|doing|do|does|did|gym|school|no more|off of)\s+$/i,
  },
  {
    term: 'CTA',
    reading: 'clear to auscultation in a lung exam ("Lungs: CTA", "CTA bilaterally")',
    notBefore: /^\s*(?:bilaterally|bilat\b|b\/l\b|to auscultation)/i,
    notAfter: /\b(?:lungs?|chest|resp(?:iratory)?|pulm(?:onary)?)\s*(?::|-|are|is)?\s*$/i,
  },
  {
    term: 'OA',
    reading: 'occiput anterior ("OA position", "from OA presentation")',
    notBefore: /^\s+(?:position|presentation)\b/i,
  },
];

/** how far around a match the rules look */
const REACH = 24;

export function ruleIndex(rules: readonly ContextRule[]): Map<string, ContextRule[]> {
  const byTerm = new Map<string, ContextRule[]>();
  for (const r of rules) byTerm.set(r.term, [...(byTerm.get(r.term) ?? []), r]);
  return byTerm;
}

/** The matches no rule drops; a match is looked up by its text as written. */
/** generic over the match type, so this leaf needs nothing from lexicon.ts (which imports it) */
export function applyContextRules<M extends { start: number; end: number }>(text: string, matches: M[], byTerm: Map<string, ContextRule[]>): M[] {
  if (byTerm.size === 0) return matches;
  return matches.filter((m) => {
    const rules = byTerm.get(text.slice(m.start, m.end));
    if (!rules) return true;
    const after = text.slice(m.end, m.end + REACH);
    const before = text.slice(Math.max(0, m.start - REACH), m.start);
    return !rules.some((r) => r.notBefore?.test(after) || r.notAfter?.test(before));
  });
}
