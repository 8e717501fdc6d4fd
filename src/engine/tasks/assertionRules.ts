/**
 * The phrase lists behind assertion.ts, written for this project in the
 * ConText tradition (Harkema, Chapman et al.): triggers with a scope
 * direction, pseudo-triggers that look like triggers but are not, and
 * terminators that end a trigger's scope.
 *
 * Pattern syntax: `[a|b]` is a choice, `[a|]` an optional part. Phrases are
 * matched on word tokens, case-insensitively; punctuation is a token of its own
 * ("r/o" is r, /, o).
 */

/** 'other' is the experiencer category (someone other than the patient). */
export type AssertionCategory = 'negated' | 'uncertain' | 'historical' | 'hypothetical' | 'other';
/** forward: the trigger scopes words after it; backward: words before it */
export type ScopeDirection = 'forward' | 'backward' | 'both';

export interface TriggerRule {
  pattern: string;
  category: AssertionCategory;
  direction: ScopeDirection;
}

export interface BlockingRule {
  pattern: string;
  /** categories whose triggers it cancels (pseudo-trigger) or whose scope it ends (terminator) */
  categories: readonly AssertionCategory[];
}

const ALL: readonly AssertionCategory[] = ['negated', 'uncertain', 'historical', 'hypothetical', 'other'];

function rules(category: AssertionCategory, direction: ScopeDirection, patterns: string[]): TriggerRule[] {
  return patterns.map((pattern) => ({ pattern, category, direction }));
}

function blocking(categories: readonly AssertionCategory[], patterns: string[]): BlockingRule[] {
  return patterns.map((pattern) => ({ pattern, categories }));
}

const RELATIVE = 'mother|father|mom|dad|sister|brother|sibling|siblings|aunt|uncle|grandmother|grandfather|cousin|son|daughter|parents|parent|husband|wife|spouse|grandparents';

export const TRIGGERS: readonly TriggerRule[] = [
  ...rules('negated', 'forward', [
    'no', 'not', 'denies', 'denied', 'deny', 'denying', 'without', 'w/o', 'negative for', 'no evidence of',
    'no sign of', 'no signs of', 'absence of', 'absent', 'free of', 'never', 'rules out', 'ruled out for',
    'fails to reveal', 'failed to reveal', 'neither', 'nor', 'unremarkable for', "doesn't", "don't", "didn't",
    'resolution of', 'negative',
  ]),
  ...rules('negated', 'backward', [
    'ruled out', '[is|was|has been|were|have been] ruled out', 'absent', 'not seen', 'not present', 'not identified',
    'not detected', 'not found', 'not appreciated', 'not visualized', 'not demonstrated', '[is|was|were|] negative',
    'denied', 'free',
  ]),
  ...rules('uncertain', 'forward', [
    'possible', 'possibly', 'probable', 'probably', 'suspected', 'suspect', 'suspicious for', 'suspicion [of|for]',
    '[concern|concerning] for', 'worrisome for', 'questionable', 'question of', 'r/o', '[to|] rule out',
    '[to|] rule [him|her|patient] out [for|]', 'ruling out', '[evaluate|evaluation|eval] for', 'differential [diagnosis|includes|]',
    'ddx', '[may|might|could] [be|represent]', '[cannot|can not|can\'t] [rule out|exclude]', 'presumed', 'presumably',
    'equivocal for', 'borderline', 'likely', 'not ruled out', '[unclear|uncertain|not sure|not clear] [if|whether]',
  ]),
  ...rules('uncertain', 'backward', [
    '[is|are|was|were] [possible|likely|suspected|questionable|unlikely|probable]', 'not excluded', '[cannot|can not|can\'t|could not] be [excluded|ruled out]',
    '[has|have|] not [been|] ruled out', 'not be ruled out', '?', 'unlikely', 'equivocal',
  ]),
  ...rules('uncertain', 'both', ['versus', 'vs', 'vs .']),
  ...rules('historical', 'forward', [
    'history of', 'hx of', 'h/o', 'past history of', 'past medical history of', 'pmh of', 'pmh', 'pmhx',
    'status post', 's/p', 'previous', 'previously', 'prior', 'prior history of', 'remote history of', 'remote',
    'in the past', 'childhood', 'old',
  ]),
  ...rules('historical', 'backward', ['in the past', 'ago', 'previously', 'resolved', 'in remission']),
  ...rules('hypothetical', 'forward', [
    'if', 'in case', 'in the event [of|that]', 'should [he|she|patient|the patient|there be|you]', 'as needed for',
    'prn', 'watch for', 'monitor for', 'return for', 'come back for', 'seek [medical|] [care|attention] for', 'unless',
  ]),
  ...rules('hypothetical', 'backward', ['prn', 'as needed', 'if needed']),
  ...rules('other', 'forward', [
    'family history [of|]', 'fh [of|]', 'fhx', 'family hx', `[his|her|patient's|the patient's|] [${RELATIVE}]`, 'maternal', 'paternal',
  ]),
  ...rules('other', 'backward', [
    `in [his|her|the|a|patient's|the patient's] [${RELATIVE}|family|relatives]`, 'runs in the family', 'in family',
  ]),
];

export const PSEUDO_TRIGGERS: readonly BlockingRule[] = [
  ...blocking(['negated'], [
    'no increase', 'no [significant|interval|definite|suspicious|further|] change', 'no changes', 'not only', 'not necessarily',
    'not certain [if|whether|]', 'not clear', '[not|cannot|can not|can\'t|could not] [be|been|] [rule|ruled] out',
    'has not been ruled out', '[not|cannot|can not|can\'t|could not] [be|] [exclude|excluded]', 'gram [-|] negative',
    'without difficulty', 'no further', 'not drain', 'not extend', 'not cause', 'whether or not', 'nothing but',
    'not [been|] [excluded]', 'non [-|] compliant', 'non [-|] compliance', 'no longer able', 'non [-|] smoker',
  ]),
  ...blocking(['uncertain'], ['or not', 'whether or not', 'and / or', 'no or', 'not or', 'either', 'or less', 'more or less']),
  ...blocking(['historical'], [
    'history of present illness', 'history and physical', 'history taking', 'social history', 'family history [of|]',
    'no history of', 'no prior history of', 'no previous', 'no prior', 'prior to', 'previous to', 'old [-|] fashioned',
    'years old', 'year old', 'yo', 'y / o', 'months old', 'weeks old', 'days old',
  ]),
  ...blocking(['hypothetical'], ['as if', 'even if', 'if any', '[unclear|uncertain|not sure|not clear] [if|whether]']),
  ...blocking(['other'], [
    `[lives|living|lived|came|comes|presents|here|accompanied|brought|provided|given] [in|] [with|by] [his|her|] [${RELATIVE}]`,
    `[per|by] [his|her|patient's|the patient's] [${RELATIVE}]`, `[${RELATIVE}] at [the|] bedside`,
    `[${RELATIVE}] [reports|states|says|notes|brought|is|was] [that|]`,
  ]),
];

export const TERMINATORS: readonly BlockingRule[] = [
  ...blocking(ALL, [';', 'but', 'however', 'although', 'though', 'except', 'aside from', 'apart from', 'yet', 'nevertheless', 'still']),
  ...blocking(['negated'], [
    'which', 'secondary to', 'due to', 'cause of', 'cause for', 'causes of', 'etiology of', 'etiology for', 'source of', 'source for',
    'reason for', 'origin of', 'presents', 'presenting', 'presented', 'complains', 'complaining', 'reports', 'reporting', 'endorses',
    'admits', 'has', 'notes', 'with',
  ]),
  ...blocking(['uncertain'], ['which', 'presents', 'complains', 'reports']),
  ...blocking(['historical'], ['now', 'currently', 'current', 'presents', 'presented', 'presenting', 'today', 'admitted', 'this admission']),
  ...blocking(['hypothetical'], ['because', 'since', 'now', 'currently', 'today']),
  ...blocking(['other'], ['patient', 'pt', 'the patient', 'who presents']),
];

export type SectionKind = 'family' | 'history' | 'other';

/** Section headers that change assertion defaults; any other header resets to 'other'. */
export const SECTIONS: ReadonlyArray<[SectionKind, string[]]> = [
  ['family', ['family history', 'family hx', 'fh', 'fhx', 'family medical history', 'family health history']],
  [
    'history',
    ['past medical history', 'pmh', 'pmhx', 'past history', 'medical history', 'past surgical history', 'psh', 'surgical history',
      'past medical and surgical history', 'past medical hx', 'previous medical history'],
  ],
  [
    'other',
    ['history of present illness', 'hpi', 'chief complaint', 'cc', 'assessment', 'assessment and plan', 'a/p', 'plan', 'impression',
      'findings', 'physical exam', 'physical examination', 'exam', 'review of systems', 'ros', 'social history', 'medications',
      'allergies', 'labs', 'laboratory', 'hospital course', 'diagnosis', 'diagnoses', 'discharge diagnosis', 'discharge diagnoses',
      'admission diagnosis', 'indication', 'history', 'subjective', 'objective', 'results', 'imaging', 'procedures', 'condition',
      'disposition', 'discharge instructions', 'follow up', 'follow-up', 'recommendations', 'vital signs', 'vitals', 'interval history',
      'impression and plan', 'clinical history', 'technique', 'comparison', 'reason for exam', 'reason for admission'],
  ],
];

/** Expands `[a|b]` choices into every phrase they stand for. */
export function expandPattern(pattern: string): string[] {
  const m = /\[([^\]]*)\]/.exec(pattern);
  if (!m) return [pattern.replace(/\s+/g, ' ').trim()];
  const before = pattern.slice(0, m.index);
  const after = pattern.slice(m.index + m[0].length);
  return m[1]!.split('|').flatMap((choice) => expandPattern(`${before}${choice}${after}`)).filter((p) => p.length > 0);
}
