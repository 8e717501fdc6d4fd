/**
 * The labels of one note as the editor holds them: brat `T` spans in UTF-16
 * offsets of the current text, the `.ann` lines the feature does not manage
 * (attributes, relations, events, normalizations, notes), and `T` lines it
 * could not place on the text. Free of the VS Code API (tested in plain Node).
 *
 * The `.ann` is parsed and written with src/engine/data/brat.ts (pure: no
 * vscode, no native packages), so the editor and the dataset reader agree on
 * brat's code-point offsets. What reading does with each T line:
 *
 * - its covered text is at its offsets: a span;
 * - it is not (the note changed outside VS Code since the .ann was written):
 *   when the text is found elsewhere in the note, the nearest place is shown
 *   for review (flagged; its line stays as it was in the .ann until the user
 *   keeps it there), else the line is kept verbatim and listed as unplaced;
 * - anything else that cannot be a span (malformed, discontinuous across text):
 *   kept verbatim and listed as unplaced.
 *
 * Ids are kept; a new span gets the next free `T` number. Removing a span also
 * drops the lines that refer to it (its attributes, notes, normalizations and
 * the relations and events it takes part in), as brat does.
 */
import { formatAnn, parseAnn } from '../../engine/data/brat';
import { codePointToUtf16 } from '../../engine/data/codePoints';
import type { DatasetProblem } from '../../engine/data/types';
import { differenceOf, followEdits, isEdited, type FollowedSpan, type RemovedSpan, type TextChange } from './spanFollowing';

export interface NoteSpan extends FollowedSpan {
  /** the brat id, e.g. "T3" */
  id: string;
  label: string;
  /**
   * Set when the .ann put this span elsewhere and its text was found here
   * instead: the original line, written unchanged until the user keeps the span.
   */
  review?: { line: string };
}

/** A T line that is not shown on the text; written back exactly as read. */
export interface UnplacedLine {
  id: string;
  label?: string;
  line: string;
  /** 1-based line in the .ann when read */
  lineNo: number;
  /** why it is not shown, for the Labels view (never quotes note text) */
  reason: string;
}

export type SpanState = 'ok' | 'edited' | 'review';

export function spanState(s: NoteSpan): SpanState {
  return s.review ? 'review' : isEdited(s) ? 'edited' : 'ok';
}

const T_LINE = /^(T\S+)\t(\S+) (\d+ \d+(?:;\d+ \d+)*)(?:\t(.*))?$/;
const ID_REFERENCE = /(?:^|[\s:])(T\d+)(?=\s|$)/g;

/** The ids a non-T line refers to (between its first and second tab). */
function referencedIds(line: string): string[] {
  const body = line.split('\t')[1] ?? '';
  return [...body.matchAll(ID_REFERENCE)].map((m) => m[1]!);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The place nearest `near` where `covered` occurs (whitespace runs match any whitespace), outside `taken`. */
function relocate(text: string, covered: string, near: number, taken: ReadonlyArray<{ start: number; end: number }>): { start: number; end: number } | undefined {
  const words = covered.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return undefined;
  const re = new RegExp(words.map(escapeRegExp).join('\\s+'), 'g');
  let best: { start: number; end: number } | undefined;
  for (const m of text.matchAll(re)) {
    const place = { start: m.index, end: m.index + m[0].length };
    if (taken.some((t) => t.start < place.end && place.start < t.end)) continue;
    if (!best || Math.abs(place.start - near) < Math.abs(best.start - near)) best = place;
  }
  return best;
}

export class NoteLabels {
  spans: NoteSpan[] = [];
  unplaced: UnplacedLine[] = [];
  /** non-T lines, verbatim, in file order */
  foreign: string[] = [];
  /** removed by edits, for undo */
  readonly graveyard: Array<RemovedSpan<NoteSpan>> = [];
  /** changed since the .ann was read or written */
  dirty = false;
  /** the .txt starts with a byte order mark: brat's offsets count it, the editor's text does not hold it */
  hadBom = false;

  /**
   * Reads a .ann (undefined: none yet) against the note's current text.
   * `hadBom`: the .txt starts with a byte order mark, which brat counts.
   * Problems are the dataset reader's, for the log (they never quote text).
   */
  static read(ann: string | undefined, text: string, opts: { file?: string; hadBom?: boolean } = {}): { labels: NoteLabels; problems: DatasetProblem[] } {
    const labels = new NoteLabels();
    const problems: DatasetProblem[] = [];
    labels.hadBom = opts.hadBom ?? false;
    if (ann === undefined) return { labels, problems };
    const file = opts.file ?? 'note.ann';
    const parsed = parseAnn(ann, text, { doc: file, file, hadBom: opts.hadBom }, problems);
    const placedLines = new Set(parsed.spans.map((s) => s.line));
    for (const s of parsed.spans) {
      const [start, end] = [s.start as number, s.end as number];
      const covered = text.slice(start, end);
      labels.spans.push({ id: s.id, label: s.label as string, start, end, covered, labelledText: covered });
    }
    const toUtf16 = codePointToUtf16(text);
    const shift = opts.hadBom ? 1 : 0;
    const rawLines = ann.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const whyNot = (lineNo: number) => problems.find((p) => p.line === lineNo)?.message.replace(/: left out.*$/, '') ?? 'not a span the editor can show';
    rawLines.forEach((line, i) => {
      const lineNo = i + 1;
      if (line.trim() === '' || placedLines.has(lineNo)) return;
      if (!line.startsWith('T')) {
        labels.foreign.push(line);
        return;
      }
      const m = T_LINE.exec(line);
      if (!m) {
        labels.unplaced.push({ id: line.split('\t')[0] ?? '', line, lineNo, reason: 'malformed T line' });
        return;
      }
      const [, id, label, offsets, covered] = m;
      const fragments = offsets!.split(';').map((f) => f.split(' ').map(Number));
      const first = toUtf16(fragments[0]![0]! - shift);
      const last = toUtf16(fragments.at(-1)![1]! - shift);
      const here = first !== undefined && last !== undefined ? text.slice(first, last) : undefined;
      const matchesHere = here !== undefined && covered !== undefined && here.replace(/\s+/g, ' ').trim() === covered.replace(/\s+/g, ' ').trim();
      if (covered && covered.trim() !== '' && !matchesHere) {
        const place = relocate(text, covered, first ?? fragments[0]![0]!, labels.spans);
        if (place) {
          const c = text.slice(place.start, place.end);
          labels.spans.push({ id: id!, label: label!, ...place, covered: c, labelledText: c, review: { line } });
          return;
        }
        labels.unplaced.push({ id: id!, label, line, lineNo, reason: 'its text is no longer in the note (changed outside the editor?)' });
        return;
      }
      labels.unplaced.push({ id: id!, label, line, lineNo, reason: whyNot(lineNo) });
    });
    labels.spans.sort((a, b) => a.start - b.start || a.end - b.end);
    return { labels, problems };
  }

  /** The .ann for the note's current text: managed spans first (by start), then the lines kept as they were. */
  format(text: string): string {
    const written = this.spans.filter((s) => !s.review);
    const kept = new Set([...this.spans.map((s) => s.id), ...this.unplaced.map((u) => u.id)]);
    const foreign = this.foreign.filter((l) => referencedIds(l).every((id) => kept.has(id)));
    const verbatim = [...this.spans.filter((s) => s.review).map((s) => s.review!.line), ...this.unplaced.map((u) => u.line)];
    if (!this.hadBom) return formatAnn(text, written, [...verbatim, ...foreign]);
    const shifted = written.map((s) => ({ ...s, start: s.start + 1, end: s.end + 1 }));
    return formatAnn('\uFEFF' + text, shifted, [...verbatim, ...foreign]);
  }

  /** The next free T id (over spans, unplaced lines, references and spans an undo may bring back). */
  nextId(): string {
    let max = 0;
    const see = (id: string) => {
      const m = /^T(\d+)$/.exec(id);
      if (m) max = Math.max(max, Number(m[1]));
    };
    for (const s of this.spans) see(s.id);
    for (const u of this.unplaced) see(u.id);
    for (const g of this.graveyard) see(g.span.id);
    for (const l of this.foreign) referencedIds(l).forEach(see);
    return `T${max + 1}`;
  }

  overlapping(start: number, end: number): NoteSpan[] {
    return this.spans.filter((s) => s.start < end && start < s.end);
  }

  /** Labels [start, end) of `text`; spans it overlaps are replaced (an exact match keeps its id). */
  add(text: string, start: number, end: number, label: string): NoteSpan {
    const same = this.spans.find((s) => s.start === start && s.end === end);
    const covered = text.slice(start, end);
    const span: NoteSpan = { id: same?.id ?? this.nextId(), label, start, end, covered, labelledText: covered };
    this.spans = [...this.spans.filter((s) => !(s.start < end && start < s.end)), span].sort((a, b) => a.start - b.start || a.end - b.end);
    this.dirty = true;
    return span;
  }

  remove(id: string): boolean {
    const before = this.spans.length + this.unplaced.length;
    this.spans = this.spans.filter((s) => s.id !== id);
    this.unplaced = this.unplaced.filter((u) => u.id !== id);
    const removed = this.spans.length + this.unplaced.length < before;
    if (removed) this.dirty = true;
    return removed;
  }

  relabel(id: string, label: string): boolean {
    const s = this.spans.find((x) => x.id === id);
    if (!s || s.label === label) return false;
    Object.assign(s, { label });
    this.dirty = true;
    return true;
  }

  /** Accepts a flagged span as it is now: its current text becomes its labelled text, a relocated one is written where it is. */
  keep(id: string): boolean {
    const i = this.spans.findIndex((x) => x.id === id);
    const s = this.spans[i];
    if (!s || spanState(s) === 'ok') return false;
    this.spans[i] = { id: s.id, label: s.label, start: s.start, end: s.end, covered: s.covered, labelledText: s.covered };
    this.dirty = true;
    return true;
  }

  /** Follows the note's text changes (VS Code's content changes, in event order). */
  follow(changes: readonly TextChange[]): boolean {
    const r = followEdits(this.spans, changes, this.graveyard);
    if (!r.changed) return false;
    this.spans = r.spans;
    this.dirty = true;
    return true;
  }

  /**
   * Moves labels read against `before` onto `after` (a note opened with
   * unsaved edits: the .ann describes the text on disk). Spans outside the
   * changed part shift; a span inside it is looked for in the new text and
   * shown for review, its line kept as it was, or kept as an unplaced line.
   */
  rebase(before: string, after: string): void {
    const change = differenceOf(before, after);
    if (!change) return;
    const from = change.rangeOffset;
    const to = from + change.rangeLength;
    const delta = change.text.length - change.rangeLength;
    const kept: NoteSpan[] = [];
    const inside: NoteSpan[] = [];
    for (const s of this.spans) {
      if (s.end <= from) kept.push(s);
      else if (s.start >= to) kept.push({ ...s, start: s.start + delta, end: s.end + delta });
      else inside.push(s);
    }
    for (const s of inside) {
      const line = s.review?.line ?? this.lineOf(s, before);
      const place = relocate(after, s.covered, Math.min(s.start, from + change.text.length), kept);
      if (place) {
        const c = after.slice(place.start, place.end);
        kept.push({ id: s.id, label: s.label, ...place, covered: c, labelledText: c, review: { line } });
      } else {
        this.unplaced.push({ id: s.id, label: s.label, line, lineNo: 0, reason: 'its text is not in the unsaved note' });
      }
    }
    this.spans = kept.sort((a, b) => a.start - b.start || a.end - b.end);
  }

  /** The T line `s` has in a .ann written for `text`. */
  private lineOf(s: NoteSpan, text: string): string {
    const bom = this.hadBom ? 1 : 0;
    return formatAnn('\uFEFF'.repeat(bom) + text, [{ ...s, start: s.start + bom, end: s.end + bom }]).trimEnd();
  }

  get flagged(): NoteSpan[] {
    return this.spans.filter((s) => spanState(s) !== 'ok');
  }
}
