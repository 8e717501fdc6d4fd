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
/**
 * How far a trigger reaches. 'window': the assertion window (8 words by
 * default), and on through a list that starts inside it ("denies fever,
 * chills, ..., or rash"). 'short': SHORT_REACH_WORDS words, for cues that
 * name one thing ("status post CABG", "prior stroke"). 'sentence': to the end
 * of the sentence, for cues that introduce a list of warning signs ("call
 * your doctor for ...").
 */
export type Reach = 'window' | 'short' | 'sentence';

export const SHORT_REACH_WORDS = 3;

export interface TriggerRule {
  pattern: string;
  category: AssertionCategory;
  direction: ScopeDirection;
  reach: Reach;
}

export interface BlockingRule {
  pattern: string;
  /** categories whose triggers it cancels (pseudo-trigger) or whose scope it ends (terminator) */
  categories: readonly AssertionCategory[];
}

const ALL: readonly AssertionCategory[] = ['negated', 'uncertain', 'historical', 'hypothetical', 'other'];

function rules(category: AssertionCategory, direction: ScopeDirection, patterns: string[], reach: Reach = 'window'): TriggerRule[] {
  return patterns.map((pattern) => ({ pattern, category, direction, reach }));
}

function blocking(categories: readonly AssertionCategory[], patterns: string[]): BlockingRule[] {
  return patterns.map((pattern) => ({ pattern, categories }));
}

const RELATIVES = 'mother|father|mom|dad|sister|brother|sibling|siblings|aunt|uncle|grandmother|grandfather|cousin|son|daughter|parents|parent|husband|wife|spouse|grandparents|roommate';
/** a relative, also in the possessive ("mother's", one token) */
const RELATIVE = `${RELATIVES}|${RELATIVES.split('|').map((r) => `${r}'s`).join('|')}`;

const CLINICIAN = 'doctor|physician|provider|pcp|md|nurse|clinic|office|surgeon|cardiologist|team';

export const TRIGGERS: readonly TriggerRule[] = [
  ...rules('negated', 'forward', [
    'no', 'not', 'denies', 'denied', 'deny', 'denying', 'without', 'w/o', 'negative for', 'no evidence of',
    'no sign of', 'no signs of', 'absence of', 'absent', 'free of', 'never', 'rules out', 'ruled out for',
    'fails to reveal', 'failed to reveal', 'neither', 'nor', 'unremarkable for', "doesn't", "don't", "didn't",
    'resolution of', 'negative', '[- ve|-ve|neg] for',
    // radiology: "lungs are clear of ..." (the ConText knowledge base's "clear"; NegBio's "clear of")
    '[clear|clearing|cleared] of',
    // the published NegEx trigger list: a rule-out that was done ("adequate to rule out")
    '[did|can|adequate to|sufficient to] rule [him|her|the patient|] out [for|against|]',
    '[ruled|rules] [him|her|the patient] out [for|against|]', 'ruled out against',
    // NegEx: "not associated with" (the terminator "with" is part of the cue), "cannot see"
    '[not|never] [associated|accompanied] [with|by]', 'unaccompanied by',
    '[cannot|can not|can\'t|could not|did not|do not|does not] [see|identify|find|detect|visualize|appreciate|demonstrate]',
  ]),
  // NegEx's "ruled out" before what it rules out ("Ruled out myocardial infarction"): one finding, no further
  ...rules('negated', 'forward', ['ruled out'], 'short'),
  // NegEx: "viral rather than bacterial pneumonia" (one alternative)
  ...rules('negated', 'forward', ['rather than'], 'short'),
  ...rules('negated', 'backward', [
    'ruled out', '[is|was|has been|were|have been] ruled out', 'absent', 'not seen', 'not present', 'not identified',
    'not detected', 'not found', 'not appreciated', 'not visualized', 'not demonstrated', '[is|was|were|] negative',
    'denied', 'free', 'resolved', 'none', '- ve',
    // the auxiliary is part of the cue, so "has" (a terminator of "no fever, has cough") does not cut it off
    '[has|have|had] [now|since|completely|largely|essentially|] [been|] resolved', '[is|are|was|were] [now|] resolved',
    // the ConText knowledge base's "no longer seen", "not definitively seen"
    'no longer [seen|present|visualized|visible|identified|evident|noted|appreciated|demonstrated]',
    'not [well|definitely|definitively|clearly|convincingly] [seen|visualized|visible|identified|demonstrated|appreciated]',
  ]),
  ...rules('uncertain', 'forward', [
    'possible', 'possibly', 'probable', 'probably', 'suspected', 'suspect', 'suspicious for', 'suspicion [of|for]',
    '[concern|concerning] for', 'worrisome for', 'questionable', 'question of', 'r/o', '[to|] rule out',
    '[to|] rule [him|her|patient] out [for|]', 'ruling out', '[evaluate|evaluation|eval] for', 'differential [diagnosis|includes|]',
    'ddx', '[may|might|could] [also|] [be|represent|reflect|indicate]', '[cannot|can not|can\'t|could not|does not|did not|do not] [rule out|exclude]', 'presumed', 'presumably',
    // NegEx's possible triggers: a rule-out still to come ("should be ruled out for PE")
    '[should|ought to|may|might|will|must|is to|are to|needs to|need to] be ruled out for',
    'equivocal for', 'borderline', 'likely', 'not ruled out', '[unclear|uncertain|unsure|unknown|not sure|not clear] [if|whether]',
    // hedges of the ConText knowledge base (probable and ambivalent existence)
    'suggest', 'suggests', 'suggesting', 'suggestive of', 'suggestion of', '[differential|] considerations [would|could|may|] include',
    'possibility of', 'possibility that', 'to exclude',
  ]),
  ...rules('uncertain', 'backward', [
    '[is|are|was|were] [possible|likely|suspected|questionable|unlikely|probable]', 'not excluded', '[cannot|can not|can\'t|could not] be [excluded|ruled out]',
    '[has|have|] not [been|] ruled out', 'not be ruled out', '?', 'unlikely', 'equivocal', '[is|are|was|were] suggested',
    // NegEx: a rule-out still to come
    '[should|ought to|may|might|will|must|is to|are to] be ruled out', 'being ruled out',
  ]),
  ...rules('uncertain', 'both', ['should be considered']),
  // "versus" joins two findings ("atelectasis versus pneumonia"), not the rest of its sentence
  ...rules('uncertain', 'both', ['versus', 'vs', 'vs .'], 'short'),
  ...rules('historical', 'forward', [
    'history of', 'hx of', 'h/o', 'past history of', 'past medical history [of|]', 'medical history', 'past surgical history',
    'surgical history', 'pmh of', 'pmh', 'pmhx', 'prior history of', 'remote history of', 'in the past',
    // genConText's history triggers
    'known to have', 'pre existing',
  ]),
  // cues that name one thing: "status post CABG", not everything after it
  ...rules('historical', 'forward', ['status post', 's/p', 'previous', 'previously', 'prior', 'remote', 'childhood', 'old', 'former'], 'short'),
  ...rules('historical', 'backward', ['in the past', 'ago', 'previously', 'in remission']),
  ...rules('hypothetical', 'forward', [
    'if', 'in case', 'in the event [of|that]', 'should [he|she|patient|the patient|there be|you]', 'as needed for',
    'prn', 'unless',
  ]),
  // discharge instructions introduce warning signs, often a long list, to the end of the sentence
  ...rules('hypothetical', 'forward', [
    'if any of the following', 'call [also|] [for|if]', `call [your|the|his|her|a|] [${CLINICIAN}|911] [for|if]`,
    `[alert|notify|contact|tell|page] [your|the|his|her|a|] [${CLINICIAN}] [for|if|of]`,
    'return [to the emergency department|to the emergency room|to the ed|to the er|to the hospital|to clinic|] [for|if]',
    'come back [for|if]', 'seek [medical|immediate|emergency|] [care|attention|help|treatment] [for|if]', 'watch for',
    'monitor for', 'report any', 'warning signs [of|such as|including|]', 'look out for',
  ], 'sentence'),
  ...rules('hypothetical', 'backward', ['prn', 'as needed', 'if needed']),
  ...rules('other', 'forward', [
    'family history [of|]', 'fh [of|]', 'fhx', 'family hx', `[his|her|patient's|the patient's|] [${RELATIVE}]`, 'maternal', 'paternal',
  ]),
  ...rules('other', 'backward', [
    `in [his|her|the|a|patient's|the patient's] [${RELATIVE}|family|relatives]`, 'runs in the family', 'in family',
  ]),
];

/**
 * A pseudo-trigger cancels a trigger of its categories that it overlaps,
 * unless the trigger is the longer phrase and holds it whole ("if any of the
 * following" holds "if any"), or the pseudo-trigger runs into the entity
 * itself ("no change in vision": the entity is "change in vision").
 */
export const PSEUDO_TRIGGERS: readonly BlockingRule[] = [
  ...blocking(['negated'], [
    'no increase', 'no [significant|interval|definite|suspicious|] change', 'no changes', 'not only', 'not necessarily',
    'not certain [if|whether|]', 'not clear', '[not|cannot|can not|can\'t|could not] [be|been|] [rule|ruled] out',
    'has not been ruled out', '[not|cannot|can not|can\'t|could not] [be|] [exclude|excluded]', 'gram [-|] negative',
    'without difficulty', 'not drain',
    // an ICD title's qualifier, often copied into problem lists: it says nothing of what follows its comma
    'without [mention of|] [complication|complications]', 'not extend', 'not cause', 'whether or not', 'nothing but',
    'not [been|] [excluded]', 'non [-|] compliant', 'non [-|] compliance', 'no longer able', 'non [-|] smoker',
    // a rule-out still to come (NegEx's possible triggers) negates nothing yet
    '[should|ought to|may|might|will|must|is to|are to] be ruled out', 'being ruled out',
  ]),
  ...blocking(['uncertain'], [
    'or not', 'whether or not', 'and / or', 'no or', 'not or', 'either', 'or less', 'more or less',
    // a rule-out that was done (a negation, above)
    '[did|can|adequate to|sufficient to] rule',
  ]),
  ...blocking(['historical'], [
    'history of present illness', 'history and physical', 'history taking', 'social history', 'family history [of|]',
    'prior to', 'previous to', 'old [-|] fashioned', 'yo', 'y / o',
    // an age, also with a spaced hyphen as transcription and de-identification leave it ("3-year - old")
    '[year|years|month|months|week|weeks|day|days] [-|] old',
    // a history of hours or days is the present illness ("two-day history of fever")
    '[minute|minutes|hour|hours|day|days|night|nights|week] history', '[minute|minutes|hour|hours|day|days] ago',
    // "as previously noted" dates the observation, not the finding; "prior CT" is an earlier study
    '[as|] previously [noted|described|seen|reported|mentioned|documented|discussed|stated|shown]', 'as noted previously',
    '[prior|previous|old] [study|studies|exam|examination|exams|film|films|imaging|ct|mri|radiograph|radiographs|report|ultrasound|echo|x-ray|admission|visit]',
  ]),
  ...blocking(['hypothetical'], ['even if', 'if any', '[unclear|uncertain|unsure|unknown|not sure|not clear] [if|whether]']),
  ...blocking(['other'], [
    `[lives|living|lived|came|comes|presents|here|accompanied|brought|provided|given] [in|] [with|by] [his|her|] [${RELATIVE}]`,
    `[per|by] [his|her|patient's|the patient's] [${RELATIVE}]`, `[${RELATIVE}] at [the|] bedside`,
    `[${RELATIVE}] [reports|states|says|notes|brought|is|was] [that|]`,
  ]),
];

/**
 * Terminators end a trigger's scope. Besides these phrases, an inline field
 * label ("Menstrual History:" in the middle of a line) ends every scope:
 * assertion.ts finds those from the text's shape.
 */
export const TERMINATORS: readonly BlockingRule[] = [
  ...blocking(ALL, [
    ';', 'but', 'however', 'although', 'though', 'except', 'aside from', 'apart from', 'yet', 'nevertheless', 'still',
    // a comma and a new subject start a new clause ("..., the patient remained stable")
    ', [the patient|patient|pt|he|she|they]',
  ]),
  ...blocking(['negated'], [
    'which', 'secondary to', 'due to', 'etiology of', 'etiology for', 'presents', 'presenting', 'presented', 'complains', 'complaining', 'reports', 'reporting', 'endorses',
    'admits', 'has', 'notes', 'with', '[diagnosis|explanation|treatment|therapy] [for|of]',
    // the published NegEx conjunctions
    '[reason|reasons|cause|causes|source|sources|origin|origins] [of|for]', 'trigger event for', 'other possibilities of',
  ]),
  ...blocking(['uncertain'], ['which', 'presents', 'complains', 'reports']),
  ...blocking(['historical'], [
    'now', 'currently', 'current', 'presents', 'presented', 'presenting', 'today', 'admitted', 'this admission', 'denies', 'denied', 'recent',
    // genConText's history terminators
    'complains', 'complaining', '[comes|came|coming] in with', 'was found', 'sudden onset of', 'states', 'stated', 'reports', 'reported',
    'noted', 'consistent with', 'emergency department',
  ]),
  ...blocking(['hypothetical'], ['because', 'since', 'now', 'currently', 'today']),
  ...blocking(['other'], ['patient', 'pt', 'the patient', 'who presents']),
];

export type SectionKind = 'family' | 'history' | 'other';

/**
 * Section headers that change assertion defaults. Social history and
 * allergies count as history, as in the ConText annotation guidelines
 * (habits and allergies began before the visit). A header not listed is
 * classed by its words (sectionOfUnknownHeader in assertion.ts).
 */
export const SECTIONS: ReadonlyArray<[SectionKind, string[]]> = [
  ['family', ['family history', 'family hx', 'fh', 'fhx', 'family medical history', 'family health history']],
  [
    'history',
    ['past medical history', 'pmh', 'pmhx', 'past history', 'medical history', 'past surgical history', 'psh', 'surgical history',
      'past medical and surgical history', 'past medical hx', 'previous medical history', 'social history', 'social hx', 'shx', 'sh',
      'allergies', 'allergy', 'drug allergies', 'allergies/adverse reactions', 'habits'],
  ],
  [
    'other',
    ['history of present illness', 'hpi', 'chief complaint', 'cc', 'assessment', 'assessment and plan', 'a/p', 'plan', 'impression',
      'findings', 'physical exam', 'physical examination', 'exam', 'review of systems', 'ros', 'medications',
      'labs', 'laboratory', 'hospital course', 'diagnosis', 'diagnoses', 'discharge diagnosis', 'discharge diagnoses',
      'admission diagnosis', 'indication', 'history', 'subjective', 'objective', 'results', 'imaging', 'procedures', 'condition',
      'disposition', 'discharge instructions', 'follow up', 'follow-up', 'recommendations', 'vital signs', 'vitals', 'interval history',
      'impression and plan', 'clinical history', 'technique', 'comparison', 'reason for exam', 'reason for admission'],
  ],
];

/** Words that make an unlisted header a new section of the visit ("TRANSFER DIAGNOSIS(ES)"), not a label inside the current one ("LEFT KNEE"). */
export const SECTION_WORDS: ReadonlyArray<[SectionKind, RegExp]> = [
  ['family', /\bfamily\b/],
  ['history', /\b(?:past|medical|surgical|social)\b.*\bhistory\b|\ballerg/],
  [
    'other',
    /\b(?:illness|course|exam|examination|diagnos[ie]s|diagnosis\(es\)|impression|findings?|plan|assessment|medications?|labs?|laboratory|discharge|admission|procedures?|indications?|reason|complaint|instructions|condition|disposition|results|technique|comparison|history|summary|report|studies|data|vitals|review|systems|subjective|objective|recommendations?|operation|operative|pre-?op|post-?op|postoperative|preoperative)\b/,
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
