/**
 * The glob matcher for include/exclude settings and `search --glob` (VS Code's
 * glob dialect: `**`, `*`, `?`, `{a,b}`, `[abc]`, `[!abc]`; case-insensitive;
 * paths are relative and use '/').
 *
 * Why not a regular expression or a package: globs come from settings a
 * workspace can ship and from the command line, and a backtracking matcher
 * turns `*a*a*a*a*a*a*a*a*a*a*a*a*a*b` against a long name into minutes of CPU.
 * picomatch, micromatch, minimatch and zeptomatch all compile to JavaScript
 * regular expressions (backtracking in V8; the linear engine needs a V8 flag the
 * extension host does not set), and node's path.matchesGlob is experimental and
 * warns on every start. So a glob is compiled to a Thompson NFA and run as a
 * state-set simulation (Pike VM without captures): each path character visits
 * each state at most once, so a match costs O(states x path length) with
 * states <= 3 x pattern length + 1, and patterns are at most MAX_GLOB_CHARS long.
 */
import { EngineError } from '../errors';

/** longer patterns are refused: a note folder's globs are a few dozen characters */
export const MAX_GLOB_CHARS = 500;

const CHAR = 0; // the path character equals arg
const ANY = 1; // any character but '/'
const ANY_OR_SLASH = 2; // any character
const CLASS = 3; // a character class, classes[arg]
const SPLIT = 4; // continue at arg and at arg2
const JMP = 5; // continue at arg
const MATCH = 6;

const SLASH = 0x2f;

interface CharClass {
  negated: boolean;
  /** inclusive [from, to] code-unit ranges */
  ranges: number[];
}

export interface GlobMatcher {
  readonly glob: string;
  /** NFA states (the cost bound of a match is states x (path length + 1)) */
  readonly states: number;
  test(relPath: string): boolean;
  /** the match and the state visits it took (for the complexity test) */
  run(relPath: string): { matched: boolean; steps: number };
}

/** refuses patterns over the length bound, with a line for the user */
export function checkGlob(glob: string, setting = 'pattern'): void {
  if (typeof glob !== 'string') throw new EngineError('bad-input', `The search ${setting} must be text.`);
  if (glob.length > MAX_GLOB_CHARS) {
    throw new EngineError('bad-input', `A search ${setting} is ${glob.length} characters long; patterns of at most ${MAX_GLOB_CHARS} characters are accepted.`);
  }
}

const cache = new Map<string, GlobMatcher>();

export function compileGlob(glob: string): GlobMatcher {
  const hit = cache.get(glob);
  if (hit) return hit;
  checkGlob(glob);
  const m = new Compiler(normalise(glob)).compile(glob);
  if (cache.size > 1000) cache.clear();
  cache.set(glob, m);
  return m;
}

/** true when any of the globs matches the path */
export function matchesAny(globs: readonly string[], relPath: string): boolean {
  for (const g of globs) if (g.trim() && compileGlob(g).test(relPath)) return true;
  return false;
}

/**
 * true when every path under the directory is excluded, so the walk need not
 * enter it: an exclude of node_modules followed by "/**" prunes `a/node_modules`.
 */
export function excludesDirectory(excludes: readonly string[], relDir: string): boolean {
  for (const g of excludes) {
    const t = g.trim();
    if (t.endsWith('/**') && compileGlob(t.slice(0, -3)).test(relDir)) return true;
  }
  return false;
}

function normalise(glob: string): string {
  return glob.trim().replace(/\\/g, '/').replace(/^\.\//, '');
}

/** program: parallel arrays indexed by state number */
class Compiler {
  private op: number[] = [];
  private arg: number[] = [];
  private arg2: number[] = [];
  private classes: CharClass[] = [];
  private i = 0;

  constructor(private readonly g: string) {}

  compile(original: string): GlobMatcher {
    this.sequence(0);
    this.emit(MATCH);
    const op = Int8Array.from(this.op);
    const arg = Int32Array.from(this.arg);
    const arg2 = Int32Array.from(this.arg2);
    const classes = this.classes;
    const n = op.length;
    const run = (relPath: string) => simulate(op, arg, arg2, classes, n, relPath.toLowerCase());
    return { glob: original, states: n, run, test: (p) => run(p).matched };
  }

  private emit(o: number, a = 0, b = 0): number {
    this.op.push(o);
    this.arg.push(a);
    this.arg2.push(b);
    return this.op.length - 1;
  }

  /**
   * Compiles until the end or, inside braces (depth > 0), until the ',' or '}'
   * that ends this alternative (left unconsumed).
   */
  private sequence(depth: number): void {
    const g = this.g;
    while (this.i < g.length) {
      const c = g[this.i];
      if (depth > 0 && (c === ',' || c === '}')) return;
      if (c === '*') {
        if (g[this.i + 1] === '*') {
          const atSegmentStart = this.i === 0 || g[this.i - 1] === '/';
          const slashAfter = g[this.i + 2] === '/';
          this.i += 2;
          if (atSegmentStart && slashAfter) {
            // '**/' matches zero or more whole directories: ([^/]* '/')*
            this.i++;
            const loop = this.emit(SPLIT);
            this.star(ANY);
            this.emit(CHAR, SLASH);
            this.emit(JMP, loop);
            this.patch(loop, loop + 1, this.op.length);
          } else this.star(ANY_OR_SLASH); // a trailing or embedded '**' matches the rest, '/' included
        } else {
          this.i++;
          this.star(ANY);
        }
      } else if (c === '?') {
        this.i++;
        this.emit(ANY);
      } else if (c === '{') {
        this.i++;
        this.alternatives(depth + 1);
      } else if (c === '[' && this.charClass()) {
        // consumed by charClass
      } else {
        this.i++;
        this.literal(c);
      }
    }
  }

  /** {a,b,...}: SPLIT chains to each alternative, each jumping to the end; an unclosed brace ends at the pattern's end */
  private alternatives(depth: number): void {
    const jumps: number[] = [];
    for (;;) {
      const split = this.emit(SPLIT);
      this.sequence(depth);
      jumps.push(this.emit(JMP));
      const more = this.g[this.i] === ',';
      if (this.g[this.i] === ',' || this.g[this.i] === '}') this.i++;
      if (!more) {
        // the last alternative's SPLIT has nowhere else to go
        this.patch(split, split + 1, split + 1);
        break;
      }
      this.patch(split, split + 1, this.op.length);
    }
    for (const j of jumps) this.arg[j] = this.op.length;
  }

  /** x*: SPLIT(x, after); x; JMP split */
  private star(x: number): void {
    const split = this.emit(SPLIT);
    this.emit(x);
    this.emit(JMP, split);
    this.patch(split, split + 1, this.op.length);
  }

  private patch(at: number, a: number, b: number): void {
    this.arg[at] = a;
    this.arg2[at] = b;
  }

  private literal(c: string): void {
    const lower = c.toLowerCase();
    for (let k = 0; k < lower.length; k++) this.emit(CHAR, lower.charCodeAt(k));
  }

  /** [abc], [a-z], [!abc] or [^abc]; false (nothing consumed) when there is no closing ']' */
  private charClass(): boolean {
    const close = this.g.indexOf(']', this.i + 1);
    if (close < 0) return false;
    let body = this.g.slice(this.i + 1, close);
    const negated = body.startsWith('!') || body.startsWith('^');
    if (negated) body = body.slice(1);
    const ranges: number[] = [];
    for (let k = 0; k < body.length; k++) {
      const from = body.charCodeAt(k);
      if (body[k + 1] === '-' && k + 2 < body.length) {
        ranges.push(from, body.charCodeAt(k + 2));
        k += 2;
      } else ranges.push(from, from);
    }
    this.classes.push({ negated, ranges });
    this.emit(CLASS, this.classes.length - 1);
    this.i = close + 1;
    return true;
  }
}

function inClass(cls: CharClass, c: number): boolean {
  // case-insensitive: the path is lower-cased, the class may name upper-case ranges
  const upper = String.fromCharCode(c).toUpperCase();
  const u = upper.length === 1 ? upper.charCodeAt(0) : c;
  let found = false;
  for (let k = 0; k < cls.ranges.length && !found; k += 2) {
    const a = cls.ranges[k];
    const b = cls.ranges[k + 1];
    found = (c >= a && c <= b) || (u >= a && u <= b);
  }
  return found !== cls.negated;
}

/**
 * Runs the NFA over the path, one character at a time, with the set of live
 * states; `mark` records the position at which a state was last added, so no
 * state is added twice for one position.
 */
function simulate(op: Int8Array, arg: Int32Array, arg2: Int32Array, classes: CharClass[], n: number, s: string): { matched: boolean; steps: number } {
  let current = new Int32Array(n);
  let next = new Int32Array(n);
  let nCurrent = 0;
  let nNext = 0;
  const mark = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  let steps = 0;

  // adds the state and what SPLIT and JMP lead to (the epsilon closure) for position pos
  const add = (list: Int32Array, count: number, start: number, pos: number): number => {
    let sp = 0;
    stack[sp++] = start;
    while (sp > 0) {
      const pc = stack[--sp];
      if (mark[pc] === pos) continue;
      mark[pc] = pos;
      steps++;
      const o = op[pc];
      if (o === JMP) stack[sp++] = arg[pc];
      else if (o === SPLIT) {
        // pushed in reverse so the first branch is explored first (order does not change the answer)
        stack[sp++] = arg2[pc];
        stack[sp++] = arg[pc];
      } else list[count++] = pc;
    }
    return count;
  };

  nCurrent = add(current, 0, 0, 0);
  for (let i = 0; i < s.length && nCurrent > 0; i++) {
    const c = s.charCodeAt(i);
    nNext = 0;
    for (let k = 0; k < nCurrent; k++) {
      const pc = current[k];
      steps++;
      const o = op[pc];
      const ok = o === CHAR ? c === arg[pc] : o === ANY ? c !== SLASH : o === ANY_OR_SLASH ? true : o === CLASS ? inClass(classes[arg[pc]], c) : false;
      if (ok) nNext = add(next, nNext, pc + 1, i + 1);
    }
    [current, next] = [next, current];
    nCurrent = nNext;
    if (i === s.length - 1) return { matched: hasMatch(op, current, nCurrent), steps };
  }
  return { matched: s.length === 0 && hasMatch(op, current, nCurrent), steps };
}

function hasMatch(op: Int8Array, list: Int32Array, count: number): boolean {
  for (let k = 0; k < count; k++) if (op[list[k]] === MATCH) return true;
  return false;
}

export const defaultIncludes = ['**/*.{txt,md,markdown,text,note,notes,rst,org,adoc,log,csv,tsv,rtf,hl7}'];
export const defaultExcludes = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.hg/**',
  '**/.svn/**',
  '**/dist/**',
  '**/out/**',
  '**/build/**',
  '**/target/**',
  '**/.vscode-test/**',
  '**/__pycache__/**',
];
