/**
 * Assertion status of entities in a note, in the ConText tradition: is the
 * finding negated, uncertain, historical, hypothetical, and is it the
 * patient's or someone else's (family history)?
 *
 * Rules (phrase lists in assertionRules.ts):
 * - The note is split into tokens (letter/digit runs; each punctuation mark a
 *   token, except a hyphen inside a word, so "45-year-old" reads as "45 year
 *   old") and segments. A segment ends at a sentence end (. ! ? followed by
 *   whitespace, except after abbreviations like "vs." or "Dr."), at a blank
 *   line, before a line that starts with a bullet or a number (unless the list
 *   was introduced by a line ending in ':' such as "Denies:", whose items stay
 *   in its segment), and at a section header ("FAMILY HISTORY:" at the start
 *   of a line). A header opens the segment after it; its own words are no
 *   triggers.
 * - A trigger affects an entity in its own segment: a forward trigger the
 *   words after it, a backward trigger the words before it, "both" either. At
 *   most `windowWords` words (punctuation not counted) may lie between trigger
 *   and entity, and no terminator of that category ("but", "however", ";",
 *   "presents" for negation, ...) may lie between them.
 * - A trigger inside the entity's own span is ignored; a trigger overlapped by
 *   a pseudo-trigger of its category ("no increase", "gram negative", "not
 *   ruled out" for negation) does not fire.
 * - Sections set defaults: in a family-history section the experiencer is
 *   'other'; in a past-medical-history section findings are historical.
 * - A span must start and end on word boundaries (or the caller asks for its
 *   words to be widened): a span cut inside a word is refused, not guessed.
 *
 * Cost: linear in the note (plus log n per entity). Phrases are matched once;
 * for each entity only the nearest trigger of each category on each side is
 * looked at (a farther one has a longer gap holding every word and terminator
 * of the nearer one's), word counts come from prefix sums, and terminators
 * from a sorted list. A 10 MB dictation without a sentence end is one segment
 * and still costs about a second.
 */
import { EngineError } from '../errors';
import {
  expandPattern,
  PSEUDO_TRIGGERS,
  SECTIONS,
  TERMINATORS,
  TRIGGERS,
  type AssertionCategory,
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

/** Tokens of a note in parallel arrays, so a 10 MB dictation costs a few arrays, not millions of objects. */
interface Tokens {
  count: number;
  start: Int32Array;
  end: Int32Array;
  norm: string[];
  isWord: Uint8Array;
  /** wordsBefore[i]: word tokens in [0, i); length count + 1 */
  wordsBefore: Int32Array;
}

interface CompiledPhrase {
  words: string[];
  category?: AssertionCategory;
  direction?: ScopeDirection;
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

/**
 * Words (letter/digit runs) and punctuation marks, lower-cased. A hyphen
 * inside a word ("45-year-old", "gram-negative") is no token: phrases match
 * the hyphenated and the spaced spelling alike.
 */
function tokenize(text: string): Tokens {
  const lower = text.toLowerCase();
  const sameLength = lower.length === text.length;
  const cap = 16;
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let isWord = new Uint8Array(cap);
  const norm: string[] = [];
  let n = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) {
    const s = m.index;
    const e = s + m[0].length;
    const word = isWordChar(text, s);
    if (!word && e === s + 1 && text.charCodeAt(s) === 45 && isWordChar(text, s - 1) && isWordChar(text, e)) continue;
    if (n === start.length) {
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (len: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      start = grow(start, (l) => new Int32Array(l));
      end = grow(end, (l) => new Int32Array(l));
      isWord = grow(isWord, (l) => new Uint8Array(l));
    }
    start[n] = s;
    end[n] = e;
    isWord[n] = word ? 1 : 0;
    norm.push(sameLength ? lower.slice(s, e) : m[0].toLowerCase());
    n++;
  }
  const wordsBefore = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) wordsBefore[i + 1] = wordsBefore[i]! + isWord[i]!;
  return { count: n, start: start.subarray(0, n), end: end.subarray(0, n), norm, isWord: isWord.subarray(0, n), wordsBefore };
}

function phraseWords(phrase: string): string[] {
  return tokenize(phrase).norm;
}

/** phrases indexed by first word, longest first */
type PhraseIndex = Map<string, CompiledPhrase[]>;

function indexPhrases(phrases: CompiledPhrase[]): PhraseIndex {
  const index: PhraseIndex = new Map();
  for (const p of phrases) {
    if (p.words.length === 0) continue;
    const list = index.get(p.words[0]!) ?? [];
    list.push(p);
    index.set(p.words[0]!, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.words.length - a.words.length);
  return index;
}

const triggerIndex = indexPhrases(
  TRIGGERS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ words: phraseWords(p), category: r.category, direction: r.direction }))),
);
const pseudoIndex = indexPhrases(PSEUDO_TRIGGERS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ words: phraseWords(p), categories: r.categories }))));
const terminatorIndex = indexPhrases(TERMINATORS.flatMap((r) => expandPattern(r.pattern).map((p) => ({ words: phraseWords(p), categories: r.categories }))));

const CATEGORIES: readonly AssertionCategory[] = ['negated', 'uncertain', 'historical', 'hypothetical', 'other'];
const CATEGORY_BIT = new Map(CATEGORIES.map((c, i) => [c, 1 << i]));
const bitsOf = (cats: readonly AssertionCategory[]) => cats.reduce((b, c) => b | CATEGORY_BIT.get(c)!, 0);

const sectionKinds = new Map<string, SectionKind>();
for (const [kind, names] of SECTIONS) for (const n of names) sectionKinds.set(n, kind);

const HEADER = /(^|\n)[ \t]*([A-Za-z][A-Za-z0-9 /&()'-]{0,50}?)[ \t]*:/g;
const ABBREVIATIONS = new Set(['vs', 'dr', 'mr', 'mrs', 'ms', 'e.g', 'i.e', 'approx', 'st', 'etc', 'pt', 'pts', 'fig', 'no']);

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
  kind: SectionKind;
}

function findHeaders(text: string): Header[] {
  const out: Header[] = [];
  HEADER.lastIndex = 0;
  for (const m of text.matchAll(HEADER)) {
    const name = m[2]!.trim().replace(/\s+/g, ' ');
    const lower = name.toLowerCase();
    let kind = sectionKinds.get(lower);
    if (!kind) {
      const words = name.split(' ').length;
      const allCaps = /[A-Z]/.test(name) && name === name.toUpperCase();
      if (allCaps && words <= 6 && name.length >= 2) kind = 'other';
    }
    if (kind) out.push({ start: m.index + m[1]!.length, end: m.index + m[0].length, kind });
  }
  return out;
}

/**
 * Triggers of one category and scope side, ready for "the nearest one to
 * this entity": forward triggers sorted by their end, backward ones by their
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

/** One note prepared for assertion: tokens, segments and phrase matches, each computed once, in time linear in the note. */
export class AssertionContext {
  private readonly tokens: Tokens;
  private readonly segments: Segment[] = [];
  /** segment index of each token */
  private readonly segmentOf: Int32Array;
  /** 1 for the tokens of a section header ("FAMILY HISTORY:"): no trigger is read in them */
  private readonly inHeader: Uint8Array;
  private readonly windowWords: number;
  private readonly midWord: 'refuse' | 'widen';
  private readonly triggers = new Map<AssertionCategory, SortedTriggers>();
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
    this.split(findHeaders(text));
    this.matchPhrases();
  }

  private split(headers: Header[]): void {
    const { start, end, norm } = this.tokens;
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
        section = headers[h]!.kind;
        let j = i;
        while (j < count && start[j]! < headers[h]!.end) this.inHeader[j++] = 1;
        i = j - 1;
        h++;
        continue;
      }
      const prevEnd = i > from ? end[i - 1]! : ts;
      if (ts - prevEnd > 1 || (ts - prevEnd === 1 && this.text.charCodeAt(prevEnd) === 10)) {
        // a break needs a newline in the gap, so single spaces are skipped cheaply
        const gap = this.text.slice(end[i - 1]!, ts);
        const t = norm[i]!;
        const listItem = t === '-' || t === '*' || t === '•' || (/^\d+$/.test(t) && /^[.)]/.test(this.text[end[i]!] ?? ''));
        if (/\n[ \t]*\n/.test(gap)) close(i);
        else if (gap.includes('\n') && listItem) {
          if (norm[i - 1] === ':' && !this.inHeader[i - 1] && i - 1 >= from) introducedList = true;
          else if (!introducedList) close(i);
        }
      }
      const t = norm[i]!;
      if (t === '.' || t === '!' || t === '?') {
        const next = this.text[end[i]!];
        const abbreviation = t === '.' && i > 0 && end[i - 1] === ts && ABBREVIATIONS.has(norm[i - 1]!);
        if ((next === undefined || /\s/.test(next)) && !abbreviation) close(i + 1);
      }
    }
    close(count);
  }

  /** Phrases that start at token i and stay inside its segment and out of headers. */
  private phrasesAt(i: number, index: PhraseIndex, out: (p: CompiledPhrase, to: number) => void): void {
    const list = index.get(this.tokens.norm[i]!);
    if (!list) return;
    const seg = this.segments[this.segmentOf[i]!]!;
    for (const p of list) {
      const to = i + p.words.length;
      if (to > seg.to) continue;
      let ok = true;
      for (let k = 1; k < p.words.length; k++) {
        if (this.tokens.norm[i + k] !== p.words[k] || this.inHeader[i + k]) {
          ok = false;
          break;
        }
      }
      if (ok) out(p, to);
    }
  }

  private matchPhrases(): void {
    const count = this.tokens.count;
    // pseudo-triggers mark the tokens they cover, per category; a trigger touching a marked token is dead
    const blocked = new Uint8Array(count);
    const found: PhraseMatch[] = [];
    const ends: PhraseMatch[] = [];
    for (let i = 0; i < count; i++) {
      if (this.inHeader[i]) continue;
      this.phrasesAt(i, pseudoIndex, (p, to) => {
        const bits = bitsOf(p.categories!);
        for (let k = i; k < to; k++) blocked[k]! |= bits;
      });
      this.phrasesAt(i, triggerIndex, (p, to) => found.push({ from: i, to, phrase: p }));
      this.phrasesAt(i, terminatorIndex, (p, to) => ends.push({ from: i, to, phrase: p }));
    }
    for (const c of CATEGORIES) {
      const bit = CATEGORY_BIT.get(c)!;
      const live = found.filter((t) => {
        if (t.phrase.category !== c) return false;
        for (let k = t.from; k < t.to; k++) if (blocked[k]! & bit) return false;
        return true;
      });
      const fwd = live.filter((t) => t.phrase.direction !== 'backward').sort((a, b) => a.to - b.to);
      const bwd = live.filter((t) => t.phrase.direction !== 'forward'); // already in start order
      this.triggers.set(c, {
        fwdTo: Int32Array.from(fwd, (t) => t.to),
        fwdFrom: Int32Array.from(fwd, (t) => t.from),
        bwdFrom: Int32Array.from(bwd, (t) => t.from),
      });
      const mine = ends.filter((x) => x.phrase.categories!.includes(c)); // start order
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

  /** whether a trigger of the category scopes the entity at tokens [first, entityTo) of segment seg */
  private scoped(c: AssertionCategory, seg: Segment, first: number, entityTo: number): boolean {
    const t = this.triggers.get(c)!;
    // the nearest forward trigger that ends at or before the entity
    const f = lowerBound(t.fwdTo, first + 1) - 1;
    if (f >= 0 && t.fwdFrom[f]! >= seg.from) {
      const gapFrom = t.fwdTo[f]!;
      if (this.wordsBetween(gapFrom, first) <= this.windowWords && !this.terminated(c, gapFrom, first)) return true;
    }
    // the nearest backward trigger that starts at or after the entity's end
    const b = lowerBound(t.bwdFrom, entityTo);
    if (b < t.bwdFrom.length && t.bwdFrom[b]! < seg.to) {
      const gapTo = t.bwdFrom[b]!;
      if (this.wordsBetween(entityTo, gapTo) <= this.windowWords && !this.terminated(c, entityTo, gapTo)) return true;
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
    let last = first;
    while (last < this.tokens.count && this.tokens.start[last]! < end) last++;
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
