/**
 * Assertion status of entities in a note, in the ConText tradition: is the
 * finding negated, uncertain, historical, hypothetical, and is it the
 * patient's or someone else's (family history)?
 *
 * Rules (phrase lists in assertionRules.ts; measured against the published
 * ConText test kit in docs/assertion.md):
 * - The note is split into tokens (letter/digit runs; each punctuation mark a
 *   token, except a hyphen inside a word, so "45-year-old" reads as "45 year
 *   old") and segments. A segment ends at a sentence end (. ! ? followed by
 *   whitespace, except after abbreviations like "vs." or "Dr."), at a blank
 *   line, before a line that starts with a bullet or a number (unless the list
 *   was introduced by a line ending in ':' such as "Denies:", whose items stay
 *   in its segment), before a numbered item inside a line ("1) ... 2) ..."),
 *   and at a section header: a listed section name or a name in capitals
 *   followed by ':' at the start of a line, or inside a line after a sentence
 *   end, another header or a wide gap (transcribed notes come as one line).
 *   A header opens the segment after it; its own words are no triggers.
 * - A trigger affects an entity in its own segment: a forward trigger the
 *   words after it, a backward trigger the words before it, "both" either,
 *   within its reach: `windowWords` words (punctuation not counted) for most
 *   cues, and on through a list of short items separated by commas or "or"
 *   that starts within the window ("denies fever, chills, ..., or
 *   rash"); 3 words and no comma for cues that name one thing ("status
 *   post", "prior", "versus"); the whole sentence for cues that introduce
 *   warning signs ("call your doctor for").
 *   No terminator of the category ("but", "however", ";", "presents" for
 *   negation, a new clause ", the patient ...", an inline field label
 *   "Menstrual History:") may lie between trigger and entity.
 * - A trigger inside the entity's own span is ignored. A pseudo-trigger of its
 *   category ("no increase", "gram negative", "not ruled out") cancels a
 *   trigger it overlaps, unless the trigger is longer and holds it whole ("if
 *   any of the following" holds the pseudo-trigger "if any"), or the
 *   pseudo-trigger runs into the entity ("no change in vision" with the entity
 *   "change in vision").
 * - Sections set defaults: in a family-history section the experiencer is
 *   'other'; in a past-medical-history, social-history or allergies section
 *   findings are historical. A header in capitals that names no section
 *   ("LEFT KNEE:", "MOTHER:") is a label inside the current section.
 * - A span must start and end on word boundaries (or the caller asks for its
 *   words to be widened): a span cut inside a word is refused, not guessed.
 *
 * Cost: linear in the note (plus log n per entity). Tokens carry vocabulary
 * ids (no string per token); phrases are matched once; for each entity only
 * the nearest trigger of each category and reach on each side is looked at
 * (a farther one has a longer gap holding every word and terminator of the
 * nearer one's; a list is checked from the nearest trigger before it), word
 * and comma counts come from prefix sums, and terminators from a sorted list.
 * A 10 MB dictation without a sentence end is one segment and costs about a
 * second (bench/unpunctuated.ts).
 */
import { EngineError } from '../errors';
import {
  expandPattern,
  PSEUDO_TRIGGERS,
  SECTION_WORDS,
  SECTIONS,
  SHORT_REACH_WORDS,
  TERMINATORS,
  TRIGGERS,
  type AssertionCategory,
  type Reach,
  type ScopeDirection,
  type SectionKind,
} from './assertionRules';

export interface Assertion {
  negated: boolean;
  uncertain: boolean;
  historical: boolean;
  hypothetical: boolean;
  experiencer: 'patient' | 'other';
}

export interface AssertionOptions {
  /** words allowed between a trigger and the entity it scopes (default 8) */
  windowWords?: number;
  /**
   * A span that starts or ends inside a word: 'refuse' (default) throws a
   * bad-input error; 'widen' asserts the whole words it touches (the entity
   * tagger, whose model spans may split a word written without spaces).
   */
  midWord?: 'refuse' | 'widen';
}

export const DEFAULT_WINDOW_WORDS = 8;

/** Tokens of a note in parallel arrays, so a 10 MB dictation costs a few arrays, not millions of objects or strings. */
interface Tokens {
  count: number;
  start: Int32Array;
  end: Int32Array;
  /** vocabulary id of the lower-cased token (see Vocabulary); 0 for a token no phrase uses */
  id: Int32Array;
  /** 0: a mark; 1: a word; 2: a number (digits only, also a word) */
  kind: Uint8Array;
  /** wordsBefore[i]: word tokens in [0, i); length count + 1 */
  wordsBefore: Int32Array;
  /** commasBefore[i]: commas in [0, i); length count + 1 */
  commasBefore: Int32Array;
}

interface CompiledPhrase {
  ids: Int32Array;
  category?: AssertionCategory;
  direction?: ScopeDirection;
  reach?: Reach;
  categories?: readonly AssertionCategory[];
}

/** A phrase found at tokens [from, to). */
interface PhraseMatch {
  from: number;
  to: number;
  phrase: CompiledPhrase;
}

const TOKEN = /[\p{L}\p{N}\p{M}]+(?:'[\p{L}]+)?|[^\s\p{L}\p{N}\p{M}]/gu;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

function isWordChar(text: string, i: number): boolean {
  if (i < 0 || i >= text.length) return false;
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return WORD_CHAR.test(text[i]!);
}

/** FNV-1a over the UTF-16 units of s[from, to) */
function hashOf(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The words that phrases and the segmenter look at, each with an id. A
 * note's tokens are looked up by a hash of their characters and checked in
 * place, so no string is made per token.
 */
class Vocabulary {
  private readonly byWord = new Map<string, number>();
  private readonly byHash = new Map<number, Array<[string, number]>>();

  /** the id of a lower-cased word, added if new (ids start at 1) */
  idOf(word: string): number {
    let id = this.byWord.get(word);
    if (id === undefined) {
      id = this.byWord.size + 1;
      this.byWord.set(word, id);
      const h = hashOf(word, 0, word.length);
      const bucket = this.byHash.get(h) ?? [];
      bucket.push([word, id]);
      this.byHash.set(h, bucket);
    }
    return id;
  }

  /** the id of lower[from, to), or 0 when no phrase uses it */
  find(lower: string, from: number, to: number): number {
    const bucket = this.byHash.get(hashOf(lower, from, to));
    if (!bucket) return 0;
    for (const [word, id] of bucket) if (word.length === to - from && lower.startsWith(word, from)) return id;
    return 0;
  }
}

const vocabulary = new Vocabulary();
const ID = {
  dot: vocabulary.idOf('.'),
  bang: vocabulary.idOf('!'),
  question: vocabulary.idOf('?'),
  comma: vocabulary.idOf(','),
  colon: vocabulary.idOf(':'),
  dash: vocabulary.idOf('-'),
  star: vocabulary.idOf('*'),
  bullet: vocabulary.idOf('•'),
  or: vocabulary.idOf('or'),
};
const ABBREVIATIONS = new Set(['vs', 'dr', 'mr', 'mrs', 'ms', 'e.g', 'i.e', 'approx', 'st', 'etc', 'pt', 'pts', 'fig', 'no'].map((w) => vocabulary.idOf(w)));

/** Token boundaries of s: [start, end) pairs, words and marks, with the in-word hyphen rule (tokenize inlines this loop). */
function* tokenSpans(s: string): Generator<[number, number, boolean]> {
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(s); m; m = TOKEN.exec(s)) {
    const from = m.index;
    const to = from + m[0].length;
    const word = isWordChar(s, from);
    if (!word && to === from + 1 && s.charCodeAt(from) === 45 && isWordChar(s, from - 1) && isWordChar(s, to)) continue;
    yield [from, to, word];
  }
}

/**
 * Words (letter/digit runs) and punctuation marks. A hyphen inside a word
 * ("45-year-old", "gram-negative") is no token: phrases match the hyphenated
 * and the spaced spelling alike.
 */
function tokenize(text: string): Tokens {
  const lower = text.toLowerCase();
  // lower-casing keeps offsets unless a character changes length ("İ"): then each token is lower-cased alone
  const sameLength = lower.length === text.length;
  let cap = 1024;
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let id = new Int32Array(cap);
  let kind = new Uint8Array(cap);
  let n = 0;
  // the loop of tokenSpans, inlined: a note has millions of tokens, a generator would allocate for each
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const s = m.index;
    const e = s + m[0].length;
    const word = isWordChar(text, s);
    if (!word && e === s + 1 && text.charCodeAt(s) === 45 && isWordChar(text, s - 1) && isWordChar(text, e)) continue;
    if (n === cap) {
      cap *= 2;
      const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
      start = grow(start, new Int32Array(cap));
      end = grow(end, new Int32Array(cap));
      id = grow(id, new Int32Array(cap));
      kind = grow(kind, new Uint8Array(cap));
    }
    start[n] = s;
    end[n] = e;
    if (sameLength) id[n] = vocabulary.find(lower, s, e);
    else {
      const t = text.slice(s, e).toLowerCase();
      id[n] = vocabulary.find(t, 0, t.length);
    }
    let digits = word;
    for (let k = s; digits && k < e; k++) {
      const c = text.charCodeAt(k);
      digits = c >= 48 && c <= 57;
    }
    kind[n] = digits ? 2 : word ? 1 : 0;
    n++;
  }
  const wordsBefore = new Int32Array(n + 1);
  const commasBefore = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    wordsBefore[i + 1] = wordsBefore[i]! + (kind[i]! > 0 ? 1 : 0);
    commasBefore[i + 1] = commasBefore[i]! + (id[i] === ID.comma ? 1 : 0);
  }
  return { count: n, start: start.subarray(0, n), end: end.subarray(0, n), id: id.subarray(0, n), kind: kind.subarray(0, n), wordsBefore, commasBefore };
}

/** A phrase's words as vocabulary ids (added to the vocabulary). */
function phraseIds(phrase: string): Int32Array {
  const lower = phrase.toLowerCase();
  return Int32Array.from(tokenSpans(lower), ([s, e]) => vocabulary.idOf(lower.slice(s, e)));
}

/** phrases indexed by the id of their first word, longest first */
type PhraseIndex = Map<number, CompiledPhrase[]>;

function indexPhrases(phrases: CompiledPhrase[]): PhraseIndex {
  const index: PhraseIndex = new Map();
  for (const p of phrases) {
    if (p.ids.length === 0) continue;
    const list = index.get(p.ids[0]!) ?? [];
    list.push(p);
    index.set(p.ids[0]!, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.ids.length - a.ids.length);
  return index;
}

const triggerIndex = indexPhrases(
  TRIGGERS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ ids: phraseIds(p), category: r.category, direction: r.direction, reach: r.reach }))),
);
const pseudoIndex = indexPhrases(PSEUDO_TRIGGERS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ ids: phraseIds(p), categories: r.categories }))));
const terminatorIndex = indexPhrases(TERMINATORS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ ids: phraseIds(p), categories: r.categories }))));
/** the longest pseudo-trigger, in tokens: how far back one can start and still overlap a trigger */
const LONGEST_PSEUDO = Math.max(...[...pseudoIndex.values()].flat().map((p) => p.ids.length));
const LONGEST_TRIGGER = Math.max(...[...triggerIndex.values()].flat().map((p) => p.ids.length));

const CATEGORIES: readonly AssertionCategory[] = ['negated', 'uncertain', 'historical', 'hypothetical', 'other'];
const REACHES: readonly Reach[] = ['window', 'short', 'sentence'];
const CATEGORY_INDEX = new Map(CATEGORIES.map((c, i) => [c, i]));
const REACH_INDEX = new Map(REACHES.map((r, i) => [r, i]));
const triggerSlot = (c: AssertionCategory, r: Reach) => CATEGORY_INDEX.get(c)! * REACHES.length + REACH_INDEX.get(r)!;
const ALL_CATEGORIES_LABEL: CompiledPhrase = { ids: new Int32Array(0), categories: CATEGORIES };

/**
 * A list continues a trigger's scope past the window ("denies fever, chills,
 * sweats, ..., or rash"): items between separators (a comma or "or")
 * of at most this many words.
 */
const LIST_ITEM_WORDS = 6;

const sectionKinds = new Map<string, SectionKind>();
for (const [kind, names] of SECTIONS) for (const n of names) sectionKinds.set(n, kind);

/** a header at the start of a line: a listed section name in any case, or a name in capitals */
const HEADER = /(^|\n)[ \t]*([A-Za-z][A-Za-z0-9 /&()'-]{0,50}?)[ \t]*:/g;
/**
 * a header inside a line (transcribed notes often come as one line), followed
 * by a space; what must come before it (afterInlineHeaderGap) is checked in
 * code, as a pattern for it would backtrack through long runs of spaces
 */
const INLINE_HEADER = /(?<![A-Za-z0-9])()([A-Za-z][A-Za-z0-9 /&()'-]{0,50}?)[ \t]*:(?=\s)/g;

/** whether text[at] follows a sentence end or another header and spaces, or a wide gap (two spaces or a tab) */
function afterInlineHeaderGap(text: string, at: number): boolean {
  let k = at - 1;
  while (k >= 0 && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k--;
  const gap = at - 1 - k;
  if (gap === 0) return false;
  if (gap >= 2 || text.charCodeAt(at - 1) === 9) return true;
  return k >= 0 && '.;!?:'.includes(text[k]!);
}

interface Segment {
  /** token range [from, to); a section header's tokens open the segment that follows them */
  from: number;
  to: number;
  section: SectionKind;
}

interface Header {
  start: number;
  /** just after the colon */
  end: number;
  /** 'label': a name in capitals that is no section of its own ("LEFT KNEE:"): the section goes on */
  kind: SectionKind | 'label';
}

/** An unlisted header: a new section if its words say so, else a label inside the current section. */
function sectionOfUnknownHeader(lower: string): SectionKind | 'label' {
  for (const [kind, words] of SECTION_WORDS) if (words.test(lower)) return kind;
  return 'label';
}

function headerKind(name: string, atLineStart: boolean): SectionKind | 'label' | undefined {
  const lower = name.toLowerCase();
  const known = sectionKinds.get(lower);
  if (known) return known;
  const words = name.split(' ').length;
  const allCaps = /[A-Z]/.test(name) && name === name.toUpperCase();
  if (!allCaps || words > 6 || name.length < 2) return undefined;
  // inside a line, a one-letter-word run in capitals ("A:", "Q:") is more likely prose than a header
  if (!atLineStart && name.length < 3) return undefined;
  return sectionOfUnknownHeader(lower);
}

function findHeaders(text: string): Header[] {
  const out: Header[] = [];
  for (const [re, atLineStart] of [[HEADER, true], [INLINE_HEADER, false]] as const) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const start = m.index + m[1]!.length;
      if (!atLineStart && !afterInlineHeaderGap(text, start)) {
        // not a header here; one may start at a later word of this match ("chest pain  EXAM:")
        re.lastIndex = m.index + 1;
        continue;
      }
      const name = m[2]!.trim().replace(/\s+/g, ' ');
      const kind = headerKind(name, atLineStart);
      if (kind) out.push({ start, end: m.index + m[0].length, kind });
      else if (!atLineStart) re.lastIndex = m.index + 1;
    }
  }
  out.sort((x, y) => x.start - y.start);
  // a header found by both expressions counts once
  return out.filter((h, i) => i === 0 || h.start >= out[i - 1]!.end);
}

/**
 * Triggers of one category and reach, ready for "the nearest one to this
 * entity": forward triggers sorted by their end, backward ones by their
 * start. Only the nearest can decide: a farther trigger's gap holds the
 * nearer one's gap, so it has at least as many words and every terminator
 * the nearer one has.
 */
interface SortedTriggers {
  /** forward (and both-way) triggers: token end, ascending; with the start of each */
  fwdTo: Int32Array;
  fwdFrom: Int32Array;
  /** backward (and both-way) triggers: token start, ascending */
  bwdFrom: Int32Array;
}

/** Terminators of one category: starts ascending, and the least end among those from each index on. */
interface SortedTerminators {
  from: Int32Array;
  minToFrom: Int32Array;
}

/** A trigger cancelled by pseudo-triggers, kept for entities the pseudo-triggers run into. */
interface CancelledTrigger {
  match: PhraseMatch;
  /** the least token end among the pseudo-triggers that cancel it */
  pseudoTo: number;
  /** the greatest token start among them */
  pseudoFrom: number;
}

/** first index whose value is >= x */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Triggers (in start order) split by scope side and sorted for the nearest-trigger queries. */
function sortTriggers(list: PhraseMatch[]): SortedTriggers {
  let nf = 0;
  let nb = 0;
  for (const t of list) {
    if (t.phrase.direction !== 'backward') nf++;
    if (t.phrase.direction !== 'forward') nb++;
  }
  const fwdTo = new Int32Array(nf);
  const fwdFrom = new Int32Array(nf);
  const bwdFrom = new Int32Array(nb);
  nf = 0;
  nb = 0;
  for (const t of list) {
    if (t.phrase.direction !== 'backward') {
      // insertion by end: starts ascend and phrases are short, so each moves back at most a few places
      let k = nf++;
      while (k > 0 && fwdTo[k - 1]! > t.to) {
        fwdTo[k] = fwdTo[k - 1]!;
        fwdFrom[k] = fwdFrom[k - 1]!;
        k--;
      }
      fwdTo[k] = t.to;
      fwdFrom[k] = t.from;
    }
    if (t.phrase.direction !== 'forward') bwdFrom[nb++] = t.from;
  }
  return { fwdTo, fwdFrom, bwdFrom };
}

/** One note prepared for assertion: tokens, segments and phrase matches, each computed once, in time linear in the note. */
export class AssertionContext {
  private readonly tokens: Tokens;
  private readonly segments: Segment[] = [];
  /** segment index of each token */
  private readonly segmentOf: Int32Array;
  /** 1 for the tokens of a section header ("FAMILY HISTORY:"): no trigger is read in them */
  private readonly inHeader: Uint8Array;
  /**
   * listHead[i]: the first separator (comma or "or") of the list whose item holds token i (items
   * of at most LIST_ITEM_WORDS words, token i within its item's first
   * LIST_ITEM_WORDS words), or -1 when token i is in no such list
   */
  private readonly listHead: Int32Array;
  private readonly windowWords: number;
  private readonly midWord: 'refuse' | 'widen';
  /** live triggers by triggerSlot(category, reach) */
  private triggers: SortedTriggers[] = [];
  /** cancelled triggers by category, in start order, with their starts */
  private readonly cancelled = new Map<AssertionCategory, { list: CancelledTrigger[]; from: Int32Array }>();
  private readonly terminators = new Map<AssertionCategory, SortedTerminators>();

  constructor(
    private readonly text: string,
    opts: AssertionOptions = {},
  ) {
    this.windowWords = opts.windowWords ?? DEFAULT_WINDOW_WORDS;
    if (!Number.isInteger(this.windowWords) || this.windowWords < 0) {
      throw new EngineError('bad-input', 'The assertion window must be a whole number of words, 0 or more.');
    }
    this.midWord = opts.midWord ?? 'refuse';
    this.tokens = tokenize(text);
    this.segmentOf = new Int32Array(this.tokens.count);
    this.inHeader = new Uint8Array(this.tokens.count);
    this.listHead = new Int32Array(this.tokens.count);
    this.split(findHeaders(text));
    this.findLists();
    this.matchPhrases();
  }

  private split(headers: Header[]): void {
    const { start, end, id, kind } = this.tokens;
    const count = this.tokens.count;
    let h = 0;
    let section: SectionKind = 'other';
    let from = 0;
    /** inside a list introduced by a line ending in ':' ("Denies:"), whose items share its segment */
    let introducedList = false;
    const close = (to: number) => {
      introducedList = false;
      if (to > from) {
        this.segmentOf.fill(this.segments.length, from, to);
        this.segments.push({ from, to, section });
      }
      from = to;
    };
    for (let i = 0; i < count; i++) {
      const ts = start[i]!;
      // a header ends the segment before it and opens the next, in its own section
      while (h < headers.length && headers[h]!.end <= ts) h++;
      if (h < headers.length && ts >= headers[h]!.start && ts < headers[h]!.end) {
        close(i);
        const kind = headers[h]!.kind;
        if (kind !== 'label') section = kind;
        let j = i;
        while (j < count && start[j]! < headers[h]!.end) this.inHeader[j++] = 1;
        i = j - 1;
        h++;
        continue;
      }
      const t = id[i]!;
      const prevEnd = i > from ? end[i - 1]! : ts;
      if (ts - prevEnd > 1 || (ts - prevEnd === 1 && this.text.charCodeAt(prevEnd) === 10)) {
        // a break needs a newline in the gap, so single spaces are skipped cheaply
        const gap = this.text.slice(end[i - 1]!, ts);
        const listItem = t === ID.dash || t === ID.star || t === ID.bullet || (kind[i] === 2 && /^[.)]/.test(this.text[end[i]!] ?? ''));
        if (/\n[ \t]*\n/.test(gap)) close(i);
        else if (gap.includes('\n') && listItem) {
          if (id[i - 1] === ID.colon && !this.inHeader[i - 1] && i - 1 >= from) introducedList = true;
          else if (!introducedList) close(i);
        }
      }
      // a numbered item inside a line ("1) esophagitis s/p biopsy 2) hiatal hernia") is a segment of its own
      if (i > from && kind[i] === 2 && end[i]! - ts <= 2 && this.text[end[i]!] === ')' && /[ \t]/.test(this.text[ts - 1] ?? '')) {
        // (numbered lines are list items, above)
        if (!this.text.slice(end[i - 1]!, ts).includes('\n')) close(i);
      }
      if (t === ID.dot || t === ID.bang || t === ID.question) {
        const next = this.text[end[i]!];
        const abbreviation = t === ID.dot && i > 0 && end[i - 1] === ts && ABBREVIATIONS.has(id[i - 1]!);
        if ((next === undefined || /\s/.test(next)) && !abbreviation) close(i + 1);
      }
    }
    close(count);
  }

  /** listHead for every token (see its comment); one pass. */
  private findLists(): void {
    const { id, kind } = this.tokens;
    let seg = -1;
    let lastSeparator = -1;
    let head = -1;
    let itemWords = 0;
    for (let i = 0; i < this.tokens.count; i++) {
      if (this.segmentOf[i] !== seg) {
        seg = this.segmentOf[i]!;
        lastSeparator = -1;
        head = -1;
        itemWords = 0;
      }
      if (id[i] === ID.comma || id[i] === ID.or) {
        // the item just ended: a short one between two separators keeps the list going; else a new list may start here
        if (lastSeparator < 0 || itemWords > LIST_ITEM_WORDS) head = i;
        lastSeparator = i;
        itemWords = 0;
        this.listHead[i] = -1;
        continue;
      }
      if (kind[i]) itemWords++;
      this.listHead[i] = lastSeparator >= 0 && itemWords <= LIST_ITEM_WORDS ? head : -1;
    }
  }

  /** Phrases that start at token i and stay inside its segment and out of headers, appended to `out`. */
  private phrasesAt(i: number, index: PhraseIndex, out: PhraseMatch[]): void {
    const first = this.tokens.id[i]!;
    const list = first === 0 ? undefined : index.get(first);
    if (!list) return;
    const seg = this.segments[this.segmentOf[i]!]!;
    const id = this.tokens.id;
    for (const p of list) {
      const to = i + p.ids.length;
      if (to > seg.to) continue;
      let ok = true;
      for (let k = 1; k < p.ids.length; k++) {
        if (id[i + k] !== p.ids[k] || this.inHeader[i + k]) {
          ok = false;
          break;
        }
      }
      if (ok) out.push({ from: i, to, phrase: p });
    }
  }

  private matchPhrases(): void {
    const { count, id, end, start } = this.tokens;
    const pseudo: PhraseMatch[] = [];
    const found: PhraseMatch[] = [];
    const ends: PhraseMatch[] = [];
    for (let i = 0; i < count; i++) {
      if (this.inHeader[i]) continue;
      this.phrasesAt(i, pseudoIndex, pseudo);
      this.phrasesAt(i, triggerIndex, found);
      this.phrasesAt(i, terminatorIndex, ends);
      // an inline field label ("Menstrual History: post-menopausal") ends every scope; "are noted: ..." is no label
      if (id[i] === ID.colon && i > 0 && !this.inHeader[i - 1] && end[i - 1] === start[i] && /^\p{Lu}/u.test(this.text[start[i - 1]!]!) && /\s/.test(this.text[end[i]!] ?? '')) {
        if (this.segmentOf[i - 1] === this.segmentOf[i]) ends.push({ from: i - 1, to: i + 1, phrase: ALL_CATEGORIES_LABEL });
      }
    }
    ends.sort((a, b) => a.from - b.from);
    const live: PhraseMatch[][] = Array.from({ length: CATEGORIES.length * REACHES.length }, () => []);
    const cancelled = new Map<AssertionCategory, CancelledTrigger[]>(CATEGORIES.map((c) => [c, []]));
    let firstPseudo = 0;
    for (const t of found) {
      // pseudo-triggers that overlap the trigger and are not held whole by it (triggers come in start order)
      while (firstPseudo < pseudo.length && pseudo[firstPseudo]!.from <= t.from - LONGEST_PSEUDO) firstPseudo++;
      let cancelTo = Number.MAX_SAFE_INTEGER;
      let cancelFrom = -1;
      for (let k = firstPseudo; k < pseudo.length && pseudo[k]!.from < t.to; k++) {
        const x = pseudo[k]!;
        if (x.to <= t.from || !x.phrase.categories!.includes(t.phrase.category!)) continue;
        if (x.from >= t.from && x.to <= t.to && x.to - x.from < t.to - t.from) continue;
        cancelTo = Math.min(cancelTo, x.to);
        cancelFrom = Math.max(cancelFrom, x.from);
      }
      if (cancelFrom < 0) live[triggerSlot(t.phrase.category!, t.phrase.reach!)]!.push(t);
      else cancelled.get(t.phrase.category!)!.push({ match: t, pseudoTo: cancelTo, pseudoFrom: cancelFrom });
    }
    this.triggers = live.map(sortTriggers);
    for (const c of CATEGORIES) {
      const list = cancelled.get(c)!;
      this.cancelled.set(c, { list, from: Int32Array.from(list, (x) => x.match.from) });
      const mine = ends.filter((x) => x.phrase.categories!.includes(c));
      const from = Int32Array.from(mine, (x) => x.from);
      const minToFrom = new Int32Array(mine.length);
      let least = Number.MAX_SAFE_INTEGER;
      for (let k = mine.length - 1; k >= 0; k--) {
        least = Math.min(least, mine[k]!.to);
        minToFrom[k] = least;
      }
      this.terminators.set(c, { from, minToFrom });
    }
  }

  /** whether a terminator of the category lies wholly inside tokens [from, to) */
  private terminated(c: AssertionCategory, from: number, to: number): boolean {
    const t = this.terminators.get(c)!;
    const k = lowerBound(t.from, from);
    return k < t.from.length && t.minToFrom[k]! <= to;
  }

  private wordsBetween(from: number, to: number): number {
    return this.tokens.wordsBefore[to]! - this.tokens.wordsBefore[from]!;
  }

  /** a short-reach cue names one thing, which ends at a comma ("status post CABG, hypertension") */
  private withinReach(reach: Reach, from: number, to: number): boolean {
    if (reach === 'short' && this.tokens.commasBefore[to] !== this.tokens.commasBefore[from]) return false;
    return this.wordsBetween(from, to) <= this.reachWords(reach);
  }

  private reachWords(reach: Reach): number {
    return reach === 'sentence' ? Number.MAX_SAFE_INTEGER : reach === 'short' ? Math.min(SHORT_REACH_WORDS, this.windowWords) : this.windowWords;
  }

  /** whether a forward trigger ending at token `to` scopes the entity starting at token `first` */
  private forwardReaches(c: AssertionCategory, reach: Reach, to: number, first: number): boolean {
    if (this.terminated(c, to, first)) return false;
    if (this.withinReach(reach, to, first)) return true;
    // a list that starts within the window carries the scope on ("denies fever, chills, ..., or rash")
    const head = this.listHead[first]!;
    return reach === 'window' && head >= to && this.wordsBetween(to, head) <= this.windowWords;
  }

  /** whether a trigger of the category scopes the entity at tokens [first, entityTo) of segment seg */
  private scoped(c: AssertionCategory, seg: Segment, first: number, entityTo: number): boolean {
    for (const reach of REACHES) {
      const t = this.triggers[triggerSlot(c, reach)]!;
      // the nearest forward trigger that ends at or before the entity
      const f = lowerBound(t.fwdTo, first + 1) - 1;
      if (f >= 0 && t.fwdFrom[f]! >= seg.from && this.forwardReaches(c, reach, t.fwdTo[f]!, first)) return true;
      // and the nearest one before the entity's list, which the list may carry further than a nearer one
      const head = this.listHead[first]!;
      if (reach === 'window' && head >= 0) {
        const g = lowerBound(t.fwdTo, head + 1) - 1;
        if (g >= 0 && g !== f && t.fwdFrom[g]! >= seg.from && this.forwardReaches(c, reach, t.fwdTo[g]!, first)) return true;
      }
      // the nearest backward trigger that starts at or after the entity's end
      const b = lowerBound(t.bwdFrom, entityTo);
      if (b < t.bwdFrom.length && t.bwdFrom[b]! < seg.to) {
        const gapTo = t.bwdFrom[b]!;
        if (this.withinReach(reach, entityTo, gapTo) && !this.terminated(c, entityTo, gapTo)) return true;
      }
    }
    return this.revived(c, seg, first, entityTo);
  }

  /**
   * A trigger cancelled only by pseudo-triggers that run into the entity
   * still scopes it: in "no change in vision" with the entity "change in
   * vision", "no change" is the entity's own words, not a pseudo-trigger.
   */
  private revived(c: AssertionCategory, seg: Segment, first: number, entityTo: number): boolean {
    const { list, from } = this.cancelled.get(c)!;
    // such a trigger lies within a pseudo-trigger's length of the entity
    const lo = Math.max(seg.from, first - LONGEST_PSEUDO - LONGEST_TRIGGER);
    const hi = Math.min(seg.to, entityTo + LONGEST_PSEUDO);
    for (let k = lowerBound(from, lo); k < list.length && from[k]! < hi; k++) {
      const x = list[k]!;
      const t = x.match;
      if (t.to <= first && t.phrase.direction !== 'backward' && x.pseudoTo > first) {
        if (this.forwardReaches(c, t.phrase.reach!, t.to, first)) return true;
      } else if (t.from >= entityTo && t.phrase.direction !== 'forward' && x.pseudoFrom < entityTo) {
        if (this.withinReach(t.phrase.reach!, entityTo, t.from) && !this.terminated(c, entityTo, t.from)) return true;
      }
    }
    return false;
  }

  /** Assertion status of the entity at [start, end) (UTF-16 offsets into the note). */
  assert(start: number, end: number): Assertion {
    const result: Assertion = { negated: false, uncertain: false, historical: false, hypothetical: false, experiencer: 'patient' };
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.text.length || end <= start) {
      throw new EngineError('bad-input', `Entity span [${start}, ${end}) is not inside the note (length ${this.text.length}).`);
    }
    if (this.midWord === 'refuse') this.refuseMidWord(start, end);
    const first = this.firstTokenAtOrAfter(start);
    const last = lowerBound(this.tokens.start, end);
    if (first >= last) return result; // a span with no word in it
    const seg = this.segments[this.segmentOf[first]!]!;
    if (seg.section === 'family') result.experiencer = 'other';
    if (seg.section === 'history') result.historical = true;
    const entityTo = Math.min(last, seg.to);
    for (const c of CATEGORIES) {
      if (!this.scoped(c, seg, first, entityTo)) continue;
      if (c === 'other') result.experiencer = 'other';
      else result[c] = true;
    }
    return result;
  }

  /** A span must start and end on word boundaries: widening it silently would assert a different span. */
  private refuseMidWord(start: number, end: number): void {
    if (isWordChar(this.text, start - 1) && isWordChar(this.text, start)) {
      let s = start;
      while (isWordChar(this.text, s - 1)) s--;
      throw new EngineError('bad-input', `Entity span [${start}, ${end}) starts inside a word (the word starts at offset ${s}); spans must start and end on word boundaries.`);
    }
    if (isWordChar(this.text, end - 1) && isWordChar(this.text, end)) {
      let e = end;
      while (isWordChar(this.text, e)) e++;
      throw new EngineError('bad-input', `Entity span [${start}, ${end}) ends inside a word (the word ends at offset ${e}); spans must start and end on word boundaries.`);
    }
  }

  private firstTokenAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.tokens.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens.end[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Assertion status for each span of one note. */
export function assertSpans(text: string, spans: ReadonlyArray<{ start: number; end: number }>, opts: AssertionOptions = {}): Assertion[] {
  const ctx = new AssertionContext(text, opts);
  return spans.map((s) => ctx.assert(s.start, s.end));
}
