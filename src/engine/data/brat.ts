/**
 * brat standoff: a note `x.txt` and its annotations `x.ann` beside it. Only
 * text-bound lines are read:
 *
 *     T1<TAB>Disease 12 27<TAB>breast carcinoma
 *     T2<TAB>Disease 40 45;46 52<TAB>chest pain
 *
 * Offsets count characters (Unicode code points) of the .txt, as brat's Python
 * server counts them; the engine's UTF-16 offsets differ after an emoji or
 * other character outside the Basic Multilingual Plane, so they are converted.
 * When the third column (the covered text) is present it is checked, and
 * offsets written by tools that count UTF-16 units are recognised by it and
 * read as such (reported). A BOM at the start of the .txt counts as a
 * character for brat and is not part of the note text here; offsets are
 * shifted past it.
 *
 * Discontinuous spans (`40 45;46 52`): when only whitespace lies between the
 * fragments (brat splits spans at line breaks) the covering span is taken;
 * otherwise the span is reported and left out, since BIO tagging has no
 * discontinuous entities. Attribute, relation, event, normalization and note
 * lines (A, R, E, N, M, *, #) are counted and otherwise ignored.
 */
import type { CandidateSpan } from './spanChecks';
import { codePointToUtf16, utf16ToCodePoint } from './codePoints';
import type { DatasetProblem, LabelledSpan } from './types';

export interface AnnSpan extends CandidateSpan {
  /** the T id ("T3"), so that an editor rewriting the file keeps ids that other lines refer to */
  id: string;
  line: number;
}

export interface ParsedAnn {
  /** T spans in UTF-16 offsets of the note text, not yet checked for overlaps (see checkSpans) */
  spans: AnnSpan[];
  /** the lines that are not T lines, verbatim, for a writer that must keep them */
  otherLines: string[];
  /** how many of otherLines are annotations of other kinds (A, R, E, N, M, *, #) */
  ignored: number;
}

const OTHER_KINDS = /^[AREMN#*]/;
const normaliseSpace = (s: string) => s.replace(/\s+/g, ' ').trim();

interface Interpretation {
  /** how the problem names offsets read this way; '' for brat's own way */
  note: string;
  toUtf16: (n: number) => number | undefined;
}

/**
 * Parses a .ann against its note text (`text` without the BOM; `hadBom` says
 * whether the .txt had one). `doc` and `file` name the note and the .ann in
 * problems; messages never quote note text.
 */
export function parseAnn(ann: string, text: string, where: { doc: string; file: string; hadBom?: boolean }, problems: DatasetProblem[]): ParsedAnn {
  const cp = codePointToUtf16(text);
  const asUnits = (n: number) => (n >= 0 && n <= text.length ? n : undefined);
  const shift = where.hadBom ? 1 : 0;
  // brat's way first; the others only when the covered text proves them right
  const interpretations: Interpretation[] = [
    { note: '', toUtf16: (n) => cp(n - shift) },
    { note: 'offsets counted in UTF-16 units rather than characters as brat counts them', toUtf16: (n) => asUnits(n - shift) },
    ...(shift
      ? [
          { note: 'offsets that do not count the byte order mark at the start of the .txt', toUtf16: cp },
          { note: 'offsets counted in UTF-16 units without the byte order mark', toUtf16: asUnits },
        ]
      : []),
  ];
  const spans: AnnSpan[] = [];
  const otherLines: string[] = [];
  let ignored = 0;
  const otherWays = new Map<string, number>();
  const report = (line: number, message: string, start?: number, end?: number) =>
    problems.push({ doc: where.doc, file: where.file, line, ...(start !== undefined ? { start, end } : {}), message });

  ann.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const lineNo = i + 1;
    if (line.trim() === '') return;
    if (!line.startsWith('T')) {
      otherLines.push(line);
      if (OTHER_KINDS.test(line)) ignored++;
      else report(lineNo, 'not a brat annotation line (T, A, R, E, N, M, *, #): left out');
      return;
    }
    const tab1 = line.indexOf('\t');
    const tab2 = tab1 < 0 ? -1 : line.indexOf('\t', tab1 + 1);
    const id = line.slice(0, tab1);
    const body = tab1 < 0 ? '' : line.slice(tab1 + 1, tab2 < 0 ? undefined : tab2);
    const covered = tab2 < 0 ? undefined : line.slice(tab2 + 1);
    const m = /^(\S+) (\d+ \d+(?:;\d+ \d+)*)$/.exec(body);
    if (tab1 < 0 || !/^T\S+$/.test(id) || !m) {
      report(lineNo, 'malformed T line (expected T<id> TAB Label start end TAB text): left out');
      return;
    }
    const label = m[1]!;
    const fragments = m[2]!.split(';').map((f) => f.split(' ').map(Number) as [number, number]);
    const converted = (how: Interpretation) => {
      const out: Array<[number, number]> = [];
      for (const [s, e] of fragments) {
        const a = how.toUtf16(s);
        const b = how.toUtf16(e);
        if (a === undefined || b === undefined) return undefined;
        out.push([a, b]);
      }
      return out;
    };
    const matches = (f: Array<[number, number]>) => normaliseSpace(f.map(([s, e]) => text.slice(s, e)).join(' ')) === normaliseSpace(covered!);
    let chosen = converted(interpretations[0]!);
    if (covered !== undefined && covered.trim() !== '' && !(chosen && matches(chosen))) {
      const alt = interpretations.slice(1).map((how) => [how, converted(how)] as const).find(([, f]) => f && matches(f));
      if (alt) {
        chosen = alt[1];
        otherWays.set(alt[0].note, (otherWays.get(alt[0].note) ?? 0) + 1);
      } else {
        const [s, e] = [fragments[0]![0], fragments[fragments.length - 1]![1]];
        report(lineNo, chosen ? `${label} span: the text in the .ann differs from the .txt at these offsets: left out (was the .txt edited after annotation?)` : `${label} span lies outside the text: left out`, s, e);
        return;
      }
    }
    if (!chosen) {
      report(lineNo, `${label} span lies outside the text: left out`, fragments[0]![0], fragments[fragments.length - 1]![1]);
      return;
    }
    const sorted = [...chosen].sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < sorted.length; k++) {
      const gap = text.slice(sorted[k - 1]![1], sorted[k]![0]);
      if (sorted[k]![0] < sorted[k - 1]![1] || gap.trim() !== '') {
        report(lineNo, `discontinuous ${label} span (its fragments are separated by text): left out`, sorted[0]![0], sorted[sorted.length - 1]![1]);
        return;
      }
    }
    spans.push({ id, line: lineNo, start: sorted[0]![0], end: sorted[sorted.length - 1]![1], label });
  });
  for (const [note, n] of otherWays) {
    problems.push({ doc: where.doc, file: where.file, message: `${n} span(s) have ${note}: read that way, as their covered text shows (the tool that wrote this .ann counts differently)` });
  }
  return { spans, otherLines, ignored };
}

/** brat type names cannot hold whitespace. */
export function bratLabel(label: string): string {
  return label.trim().replace(/\s+/g, '_');
}

/**
 * Writes a .ann for `text`: T lines in order of start, offsets in code points,
 * a span that crosses line breaks as fragments split at them (as brat does),
 * ids kept where given and numbered after the highest otherwise, then
 * `otherLines` verbatim.
 */
export function formatAnn(text: string, spans: ReadonlyArray<LabelledSpan & { id?: string }>, otherLines: readonly string[] = []): string {
  const toCp = utf16ToCodePoint(text);
  let next = 1 + Math.max(0, ...spans.map((s) => (s.id && /^T\d+$/.test(s.id) ? Number(s.id.slice(1)) : 0)));
  const lines = [...spans]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((s) => {
      const fragments: Array<[number, number]> = [];
      let from = s.start;
      for (const m of text.slice(s.start, s.end).matchAll(/[\r\n]+/g)) {
        const at = s.start + m.index;
        if (at > from) fragments.push([from, at]);
        from = at + m[0].length;
      }
      if (s.end > from) fragments.push([from, s.end]);
      if (!fragments.length) fragments.push([s.start, s.end]);
      const offsets = fragments.map(([a, b]) => `${toCp(a)} ${toCp(b)}`).join(';');
      const covered = fragments.map(([a, b]) => text.slice(a, b)).join(' ');
      const id = s.id ?? `T${next++}`;
      return `${id}\t${bratLabel(s.label)} ${offsets}\t${covered}`;
    });
  return [...lines, ...otherLines].map((l) => l + '\n').join('');
}
