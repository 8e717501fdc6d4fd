/**
 * Assertion status of entities in a note, in the ConText tradition: is the
 * finding negated, uncertain, historical, hypothetical, and is it the
 * patient's or someone else's (family history)?
 *
 * Rules (phrase lists in assertionRules.ts):
 * - The note is split into tokens (letter/digit runs; each punctuation mark a
 *   token) and segments. A segment ends at a sentence end (. ! ? followed by
 *   whitespace, except after abbreviations like "vs." or "Dr."), at a blank
 *   line, before a line that starts with a bullet or a number (unless the list
 *   was introduced by a line ending in ':' such as "Denies:", whose items stay
 *   in its segment), and at a section header ("FAMILY HISTORY:" at the start
 *   of a line).
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
}

export const DEFAULT_WINDOW_WORDS = 8;

interface Token {
  start: number;
  end: number;
  norm: string;
  isWord: boolean;
}

interface CompiledPhrase {
  words: string[];
  category?: AssertionCategory;
  direction?: ScopeDirection;
  categories?: readonly AssertionCategory[];
}

interface PhraseMatch {
  from: number;
  /** exclusive token index */
  to: number;
  phrase: CompiledPhrase;
}

const TOKEN = /[\p{L}\p{N}\p{M}]+(?:'[\p{L}]+)?|[^\s\p{L}\p{N}\p{M}]/gu;
const WORD = /^[\p{L}\p{N}]/u;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const s = m[0];
    out.push({ start: m.index, end: m.index + s.length, norm: s.toLowerCase(), isWord: WORD.test(s) });
  }
  return out;
}

function phraseWords(phrase: string): string[] {
  return tokenize(phrase).map((t) => t.norm);
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

const sectionKinds = new Map<string, SectionKind>();
for (const [kind, names] of SECTIONS) for (const n of names) sectionKinds.set(n, kind);

const HEADER = /(^|\n)[ \t]*([A-Za-z][A-Za-z0-9 /&()'-]{0,50}?)[ \t]*:/g;
const ABBREVIATIONS = new Set(['vs', 'dr', 'mr', 'mrs', 'ms', 'e.g', 'i.e', 'approx', 'st', 'etc', 'pt', 'pts', 'fig', 'no']);

interface Segment {
  /** token range [from, to) */
  from: number;
  to: number;
  section: SectionKind;
  matches?: { triggers: PhraseMatch[]; terminators: PhraseMatch[] };
}

interface Header {
  start: number;
  /** just after the colon */
  end: number;
  kind: SectionKind;
}

function findHeaders(text: string): Header[] {
  const out: Header[] = [];
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

function matchAt(tokens: readonly Token[], i: number, to: number, index: PhraseIndex): CompiledPhrase[] {
  const list = index.get(tokens[i]!.norm);
  if (!list) return [];
  const found: CompiledPhrase[] = [];
  for (const p of list) {
    if (i + p.words.length > to) continue;
    let ok = true;
    for (let k = 1; k < p.words.length; k++) {
      if (tokens[i + k]!.norm !== p.words[k]) {
        ok = false;
        break;
      }
    }
    if (ok) found.push(p);
  }
  return found;
}

/** One note prepared for assertion: tokens, segments, and per-segment matches computed on first use. */
export class AssertionContext {
  private readonly tokens: Token[];
  private readonly segments: Segment[] = [];
  /** segment index of each token */
  private readonly segmentOf: Int32Array;
  private readonly windowWords: number;

  constructor(
    private readonly text: string,
    opts: AssertionOptions = {},
  ) {
    this.windowWords = opts.windowWords ?? DEFAULT_WINDOW_WORDS;
    if (!Number.isInteger(this.windowWords) || this.windowWords < 0) {
      throw new EngineError('bad-input', 'The assertion window must be a whole number of words, 0 or more.');
    }
    this.tokens = tokenize(text);
    this.segmentOf = new Int32Array(this.tokens.length);
    this.split(findHeaders(text));
  }

  private split(headers: Header[]): void {
    const tokens = this.tokens;
    let h = 0;
    let section: SectionKind = 'other';
    let from = 0;
    /** inside a list introduced by a line ending in ':' ("Denies:"), whose items share its segment */
    let introducedList = false;
    const close = (to: number) => {
      introducedList = false;
      if (to > from) {
        for (let k = from; k < to; k++) this.segmentOf[k] = this.segments.length;
        this.segments.push({ from, to, section });
      }
      from = to;
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      // a header: its own tokens form no segment; the section starts after the colon
      while (h < headers.length && headers[h]!.end <= t.start) h++;
      if (h < headers.length && t.start >= headers[h]!.start && t.start < headers[h]!.end) {
        close(i);
        section = headers[h]!.kind;
        let j = i;
        while (j < tokens.length && tokens[j]!.start < headers[h]!.end) j++;
        for (let k = i; k < j; k++) this.segmentOf[k] = -1;
        from = j;
        i = j - 1;
        h++;
        continue;
      }
      const prevEnd = i > from ? tokens[i - 1]!.end : t.start;
      if (t.start - prevEnd > 1 || (t.start - prevEnd === 1 && this.text.charCodeAt(prevEnd) === 10)) {
        // a break needs a newline in the gap, so single spaces are skipped cheaply
        const gap = this.text.slice(tokens[i - 1]!.end, t.start);
        const listItem = /^[-*•]$/.test(t.norm) || (/^\d+$/.test(t.norm) && /^[.)]/.test(this.text[t.end] ?? ''));
        if (/\n[ \t]*\n/.test(gap)) close(i);
        else if (gap.includes('\n') && listItem) {
          if (tokens[i - 1]!.norm === ':' && i - 1 >= from) introducedList = true;
          else if (!introducedList) close(i);
        }
      }
      if (t.norm === '.' || t.norm === '!' || t.norm === '?') {
        const next = this.text[t.end];
        const prev = tokens[i - 1];
        const abbreviation = t.norm === '.' && prev !== undefined && prev.end === t.start && ABBREVIATIONS.has(prev.norm);
        if ((next === undefined || /\s/.test(next)) && !abbreviation) close(i + 1);
      }
    }
    close(tokens.length);
  }

  private matchesOf(seg: Segment): { triggers: PhraseMatch[]; terminators: PhraseMatch[] } {
    if (seg.matches) return seg.matches;
    const pseudo: PhraseMatch[] = [];
    const triggers: PhraseMatch[] = [];
    const terminators: PhraseMatch[] = [];
    for (let i = seg.from; i < seg.to; i++) {
      for (const p of matchAt(this.tokens, i, seg.to, pseudoIndex)) pseudo.push({ from: i, to: i + p.words.length, phrase: p });
      for (const p of matchAt(this.tokens, i, seg.to, triggerIndex)) triggers.push({ from: i, to: i + p.words.length, phrase: p });
      for (const p of matchAt(this.tokens, i, seg.to, terminatorIndex)) terminators.push({ from: i, to: i + p.words.length, phrase: p });
    }
    const live = triggers.filter(
      (t) => !pseudo.some((p) => p.from < t.to && t.from < p.to && p.phrase.categories!.includes(t.phrase.category!)),
    );
    seg.matches = { triggers: live, terminators };
    return seg.matches;
  }

  private wordsBetween(from: number, to: number): number {
    let n = 0;
    for (let k = from; k < to; k++) if (this.tokens[k]!.isWord) n++;
    return n;
  }

  /** Assertion status of the entity at [start, end) (UTF-16 offsets into the note). */
  assert(start: number, end: number): Assertion {
    const result: Assertion = { negated: false, uncertain: false, historical: false, hypothetical: false, experiencer: 'patient' };
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.text.length || end <= start) {
      throw new EngineError('bad-input', `Entity span [${start}, ${end}) is not inside the note (length ${this.text.length}).`);
    }
    const first = this.firstTokenAtOrAfter(start);
    let last = first;
    while (last < this.tokens.length && this.tokens[last]!.start < end) last++;
    if (first >= last) return result; // a span with no word in it
    const segIndex = this.segmentOf[first]!;
    if (segIndex < 0) return result; // inside a section header
    const seg = this.segments[segIndex]!;
    if (seg.section === 'family') result.experiencer = 'other';
    if (seg.section === 'history') result.historical = true;
    const { triggers, terminators } = this.matchesOf(seg);
    const entityTo = Math.min(last, seg.to);
    for (const t of triggers) {
      const cat = t.phrase.category!;
      const dir = t.phrase.direction!;
      if (t.from < entityTo && first < t.to) continue; // inside the entity
      let gapFrom: number;
      let gapTo: number;
      if (t.to <= first && dir !== 'backward') [gapFrom, gapTo] = [t.to, first];
      else if (t.from >= entityTo && dir !== 'forward') [gapFrom, gapTo] = [entityTo, t.from];
      else continue;
      if (this.wordsBetween(gapFrom, gapTo) > this.windowWords) continue;
      if (terminators.some((x) => x.from >= gapFrom && x.to <= gapTo && x.phrase.categories!.includes(cat))) continue;
      if (cat === 'other') result.experiencer = 'other';
      else result[cat] = true;
    }
    return result;
  }

  private firstTokenAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.end <= offset) lo = mid + 1;
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
