/**
 * User term lists matched in notes, so highlighting works without a trained
 * NER head.
 *
 * A lexicon folder holds one file per entity type: the file name without its
 * extension, lower-cased, is the type ("problem.txt" -> problem). One term per
 * line; a line whose first non-blank character is '#' is a comment, and so is
 * the rest of a line after " #". When a term appears in two files, the file
 * that sorts first by name keeps it.
 *
 * Matching is case-insensitive (per UTF-16 unit, so offsets never move) except
 * for sources marked exactCase (the built-in lexicon's abbreviations), treats
 * any run of whitespace in the note as one space (so "chest  pain" and a term
 * split over a line break still match), and accepts a match only on word
 * boundaries (no letter or digit right before or after). Among matches, the
 * leftmost wins, then the longest; kept matches never overlap. All terms share
 * one Aho-Corasick automaton, stored in flat typed arrays so 100k terms stay
 * compact. Context rules (lexiconRules.ts), when given, drop matches last.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { EngineError } from '../errors';
import { applyContextRules, ruleIndex, type ContextRule } from './lexiconRules';

export interface LexiconMatch {
  start: number;
  end: number;
  type: string;
}

export interface LexiconSource {
  type: string;
  terms: readonly string[];
  /** match these terms only with the case written ("MI", not "mi" for miles); default: any case */
  exactCase?: boolean;
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const SPACE = /\s/;

/** letters, digits and marks; ASCII decided without a regular expression */
function isWordChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  return WORD_CHAR.test(text[i]!);
}

function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return SPACE.test(String.fromCharCode(c));
}

/** Lower-cases without changing length, so folded offsets are original offsets. */
function foldCase(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length) return lower;
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    out += l.length === ch.length ? l : ch;
  }
  return out;
}

function normalizeTerm(term: string): string {
  return foldCase(term.trim().replace(/\s+/g, ' '));
}

export class Lexicon {
  readonly types: readonly string[];
  readonly termCount: number;
  // CSR trie: children of node n are childCode/childNext[childStart[n] .. childStart[n+1])
  private readonly childStart: Int32Array;
  private readonly childCode: Uint16Array;
  private readonly childNext: Int32Array;
  private readonly fail: Int32Array;
  /** length of the longest term ending at node (0: none) and its type index */
  private readonly outLen: Int32Array;
  private readonly outType: Int32Array;
  /** nearest node on the failure chain with an output (-1: none) */
  private readonly outLink: Int32Array;
  /** terms matched only with the case written: node -> the forms written */
  private readonly exactForms: Map<number, string[]>;

  /** context rules by term as written (lexiconRules.ts) */
  private readonly rules: Map<string, ContextRule[]>;

  constructor(sources: readonly LexiconSource[], options: { rules?: readonly ContextRule[] } = {}) {
    this.rules = ruleIndex(options.rules ?? []);
    const types: string[] = [];
    const entries: Array<{ term: string; type: number; written?: string }> = [];
    let totalChars = 0;
    for (const src of sources) {
      let type = types.indexOf(src.type);
      if (type < 0) {
        type = types.length;
        types.push(src.type);
      }
      for (const raw of src.terms) {
        const term = normalizeTerm(raw);
        if (!term) continue;
        entries.push({ term, type, written: src.exactCase ? raw.trim().replace(/\s+/g, ' ') : undefined });
        totalChars += term.length;
      }
    }
    // Sorted terms build the trie without any lookup: each term shares its
    // prefix with the previous one, and children arrive in code order. Ties
    // sort by source, so the first file keeps a duplicate term. A term listed
    // in any case anywhere matches in any case; otherwise each written form
    // is kept for the case check.
    entries.sort((x, y) => (x.term < y.term ? -1 : x.term > y.term ? 1 : x.type - y.type));
    const anyCase = new Set<string>();
    for (const e of entries) if (e.written === undefined) anyCase.add(e.term);
    const cap = totalChars + 1;
    const nodeCode = new Uint16Array(cap);
    const firstChild = new Int32Array(cap).fill(-1);
    const lastChild = new Int32Array(cap).fill(-1);
    const nextSibling = new Int32Array(cap).fill(-1);
    const termLen = new Int32Array(cap);
    const termType = new Int32Array(cap).fill(-1);
    const path = new Int32Array(cap + 1); // path[d]: node of the previous term at depth d
    let nodes = 1;
    let count = 0;
    let prev = '';
    const exact = new Map<number, string[]>();
    for (const { term, type, written } of entries) {
      if (term === prev) {
        if (written !== undefined && !anyCase.has(term)) exact.get(path[term.length]!)?.push(written);
        continue;
      }
      let shared = 0;
      while (shared < prev.length && shared < term.length && prev.charCodeAt(shared) === term.charCodeAt(shared)) shared++;
      let n = path[shared]!;
      for (let i = shared; i < term.length; i++) {
        const c = nodes++;
        nodeCode[c] = term.charCodeAt(i);
        if (firstChild[n] === -1) firstChild[n] = c;
        else nextSibling[lastChild[n]!] = c;
        lastChild[n] = c;
        path[i + 1] = c;
        n = c;
      }
      termLen[n] = term.length;
      termType[n] = type;
      if (written !== undefined && !anyCase.has(term)) exact.set(n, [written]);
      count++;
      prev = term;
    }
    this.exactForms = exact;
    this.types = types;
    this.termCount = count;
    // compact sibling lists into CSR arrays, children sorted by code already
    this.childStart = new Int32Array(nodes + 1);
    this.childCode = new Uint16Array(Math.max(0, nodes - 1));
    this.childNext = new Int32Array(Math.max(0, nodes - 1));
    let at = 0;
    for (let n = 0; n < nodes; n++) {
      this.childStart[n] = at;
      for (let c = firstChild[n]!; c !== -1; c = nextSibling[c]!) {
        this.childCode[at] = nodeCode[c]!;
        this.childNext[at++] = c;
      }
    }
    this.childStart[nodes] = at;
    this.outLen = termLen.slice(0, nodes);
    this.outType = termType.slice(0, nodes);
    this.fail = new Int32Array(nodes);
    this.outLink = new Int32Array(nodes).fill(-1);
    // breadth-first failure links
    const queue = new Int32Array(nodes);
    let head = 0;
    let tail = 0;
    for (let e = this.childStart[0]!; e < this.childStart[1]!; e++) queue[tail++] = this.childNext[e]!;
    while (head < tail) {
      const n = queue[head++]!;
      for (let e = this.childStart[n]!; e < this.childStart[n + 1]!; e++) {
        const child = this.childNext[e]!;
        const code = this.childCode[e]!;
        let f = this.fail[n]!;
        let target = this.step(f, code);
        while (target < 0 && f !== 0) {
          f = this.fail[f]!;
          target = this.step(f, code);
        }
        const fc = target < 0 ? 0 : target;
        this.fail[child] = fc;
        this.outLink[child] = this.outLen[fc]! > 0 ? fc : this.outLink[fc]!;
        queue[tail++] = child;
      }
    }
  }

  /** the child of n along code, or -1 */
  private step(n: number, code: number): number {
    let lo = this.childStart[n]!;
    let hi = this.childStart[n + 1]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.childCode[mid]!;
      if (c === code) return this.childNext[mid]!;
      if (c < code) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Non-overlapping matches on word boundaries, leftmost then longest first. */
  match(text: string): LexiconMatch[] {
    if (this.termCount === 0 || text.length === 0) return [];
    // fold case and collapse whitespace runs; pos maps folded index -> original index
    const folded = foldCase(text);
    const codes = new Uint16Array(folded.length);
    const pos = new Int32Array(folded.length + 1);
    let m = 0;
    for (let i = 0; i < folded.length; i++) {
      const c = folded.charCodeAt(i);
      if (isSpace(c)) {
        if (m > 0 && codes[m - 1] === 32) continue;
        codes[m] = 32;
      } else codes[m] = c;
      pos[m++] = i;
    }
    // candidates as (start, end) in folded indices, best per start kept
    const bestLen = new Int32Array(m).fill(0);
    const bestType = new Int32Array(m);
    let n = 0;
    for (let i = 0; i < m; i++) {
      const code = codes[i]!;
      let next = this.step(n, code);
      while (next < 0 && n !== 0) {
        n = this.fail[n]!;
        next = this.step(n, code);
      }
      n = next < 0 ? 0 : next;
      for (let o = this.outLen[n]! > 0 ? n : this.outLink[n]!; o >= 0; o = this.outLink[o]!) {
        const len = this.outLen[o]!;
        const s = i + 1 - len;
        if (len > bestLen[s]! && this.onBoundaries(text, pos[s]!, pos[i]! + 1) && this.caseFits(o, text, codes, pos, s, len)) {
          bestLen[s] = len;
          bestType[s] = this.outType[o]!;
        }
      }
    }
    const out: LexiconMatch[] = [];
    for (let s = 0; s < m; s++) {
      const len = bestLen[s]!;
      if (len === 0) continue;
      out.push({ start: pos[s]!, end: pos[s + len - 1]! + 1, type: this.types[bestType[s]!]! });
      s += len - 1;
    }
    return applyContextRules(text, out, this.rules);
  }

  /** an exact-case term matches only where the note has one of its written forms */
  private caseFits(node: number, text: string, codes: Uint16Array, pos: Int32Array, s: number, len: number): boolean {
    const forms = this.exactForms.get(node);
    if (!forms) return true;
    return forms.some((form) => {
      for (let k = 0; k < len; k++) {
        // collapsed whitespace already matched the term's single space
        if (codes[s + k] !== 32 && text.charCodeAt(pos[s + k]!) !== form.charCodeAt(k)) return false;
      }
      return true;
    });
  }

  private onBoundaries(text: string, start: number, end: number): boolean {
    if (start > 0 && isWordChar(text, start - 1) && isWordChar(text, start)) return false;
    if (end < text.length && isWordChar(text, end) && isWordChar(text, end - 1)) return false;
    return true;
  }
}

/** Terms of one lexicon file (comments and blank lines dropped). */
export function parseLexiconFile(content: string): string[] {
  const terms: string[] = [];
  for (const line of content.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const hash = trimmed.search(/\s#/);
    const term = (hash >= 0 ? trimmed.slice(0, hash) : trimmed).trim();
    if (term) terms.push(term);
  }
  return terms;
}

export function typeFromFileName(file: string): string {
  return basename(file, extname(file)).trim().toLowerCase();
}

export interface LoadedLexicon {
  lexicon: Lexicon;
  files: number;
  /** files skipped, with why (no note text) */
  skipped: string[];
}

/** Reads every file in a folder (not recursive; hidden files skipped) into one Lexicon. */
export function loadLexiconFolder(folder: string): LoadedLexicon {
  let names: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    names = readdirSync(folder).sort();
  } catch {
    throw new EngineError('missing-file', `The lexicon folder ${folder} does not exist or is not a folder. Set clinicalModernbert.lexiconFolder to a folder of term lists (one file per entity type).`);
  }
  const byType = new Map<string, string[]>();
  const skipped: string[] = [];
  let files = 0;
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const p = join(folder, name);
    try {
      if (!statSync(p).isFile()) continue;
      const type = typeFromFileName(name);
      if (!type) {
        skipped.push(`${name}: no entity type in the file name`);
        continue;
      }
      const list = byType.get(type) ?? [];
      list.push(...parseLexiconFile(readFileSync(p, 'utf8')));
      byType.set(type, list);
      files++;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { lexicon: new Lexicon([...byType.entries()].map(([type, terms]) => ({ type, terms }))), files, skipped };
}

export type MergeMode = 'modelFirst' | 'lexiconFirst' | 'modelOnly' | 'lexiconOnly';

/**
 * Joins model and lexicon spans. In 'modelFirst' (the default) model spans win
 * and lexicon spans fill the gaps: a lexicon span that overlaps any model span
 * by even one character is dropped. 'lexiconFirst' is the reverse.
 */
export function mergeSpans<T extends { start: number; end: number }>(model: readonly T[], lexicon: readonly T[], mode: MergeMode): T[] {
  if (mode === 'modelOnly') return [...model];
  if (mode === 'lexiconOnly') return [...lexicon];
  const [winners, fillers] = mode === 'modelFirst' ? [model, lexicon] : [lexicon, model];
  const sortedWinners = [...winners].sort((a, b) => a.start - b.start);
  const out = [...sortedWinners];
  let w = 0;
  for (const f of [...fillers].sort((a, b) => a.start - b.start)) {
    while (w < sortedWinners.length && sortedWinners[w]!.end <= f.start) w++;
    let overlaps = false;
    for (let k = w; k < sortedWinners.length && sortedWinners[k]!.start < f.end; k++) {
      if (sortedWinners[k]!.end > f.start) {
        overlaps = true;
        break;
      }
    }
    if (!overlaps) out.push(f);
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}
