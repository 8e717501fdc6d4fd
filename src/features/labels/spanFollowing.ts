/**
 * Labels follow the text they mark while the note is edited in VS Code. Kept
 * free of the VS Code API so that the rules can be tested in plain Node; the
 * feature feeds it each TextDocumentChangeEvent's content changes.
 *
 * The rules, for one change replacing [a, b) with new text:
 * - before the span (b <= start): the span shifts; an insertion exactly at the
 *   start is before it, so typing in front of a label does not grow it;
 * - after the span (a >= end): nothing moves; an insertion exactly at the end is
 *   after it;
 * - inside the span (start <= a, b <= end): the end moves and the new text is
 *   part of the span, whose text has now changed: it is flagged `edited` until
 *   its text equals the labelled text again (an undo) or the user keeps it;
 * - across one boundary: the span keeps the part the change left, the new text
 *   stays outside, and it is flagged `edited`;
 * - all of the span replaced or deleted (a <= start, end <= b): the label goes,
 *   since the text it marked is gone; a change that puts the very same text
 *   back at the same place (undo) brings it back.
 *
 * VS Code applies an event's changes one after another, each in the text left
 * by the ones before it (multi-cursor edits arrive last position first), so
 * they are applied here in the same order.
 */

export interface TextChange {
  /** UTF-16 offset of the replaced range in the text as it is when this change applies */
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export interface FollowedSpan {
  start: number;
  end: number;
  /** the span's text now (kept current through edits) */
  covered: string;
  /** the text it had when it was labelled or last kept */
  labelledText: string;
}

/** A label whose whole text was replaced; undo (the same text put back at the same place) revives it. */
export interface RemovedSpan<S extends FollowedSpan> {
  span: S;
  /** where the removing change began, followed through later edits */
  at: number;
  /** length of the text the removing change put there */
  insertedLength: number;
  /** the removed text's length and the span's place in it */
  removedLength: number;
  offsetInRemoved: number;
}

export interface FollowResult<S extends FollowedSpan> {
  spans: S[];
  /** labels whose text was replaced or deleted by these changes */
  removed: S[];
  /** labels brought back by these changes (an undo) */
  revived: S[];
  /** any span moved, changed or went */
  changed: boolean;
}

/** How many removed labels are remembered for undo; older ones are forgotten. */
export const REMEMBERED_REMOVALS = 100;

export const isEdited = (s: FollowedSpan): boolean => s.covered !== s.labelledText;

/**
 * Applies `changes` in order to `spans` (sorted by start; they stay sorted) and to the
 * remembered removals `graveyard` (updated in place). Returns new span objects
 * for the spans that moved; spans that did not move are returned as they were.
 */
export function followEdits<S extends FollowedSpan>(spans: readonly S[], changes: readonly TextChange[], graveyard: Array<RemovedSpan<S>> = []): FollowResult<S> {
  let live = [...spans];
  const removed: S[] = [];
  const revived: S[] = [];
  let changed = false;
  for (const c of changes) {
    const a = c.rangeOffset;
    const b = c.rangeOffset + c.rangeLength;
    const n = c.text.length;
    const delta = n - c.rangeLength;
    if (c.rangeLength === 0 && n === 0) continue;
    const next: S[] = [];
    const buried: Array<RemovedSpan<S>> = [];
    for (const s of live) {
      const moved = applyOne(s, a, b, c.text, delta);
      if (moved === s) next.push(s);
      else if (moved) {
        next.push(moved);
        changed = true;
      } else {
        changed = true;
        removed.push(s);
        buried.push({ span: s, at: a, insertedLength: n, removedLength: c.rangeLength, offsetInRemoved: s.start - a });
      }
    }
    for (let i = graveyard.length - 1; i >= 0; i--) {
      const g = graveyard[i]!;
      const covered = g.span.covered;
      if (a === g.at && c.rangeLength === g.insertedLength && n === g.removedLength && c.text.slice(g.offsetInRemoved, g.offsetInRemoved + covered.length) === covered) {
        // undo: the removed text is back where it was
        graveyard.splice(i, 1);
        const back = { ...g.span, start: a + g.offsetInRemoved, end: a + g.offsetInRemoved + covered.length };
        if (next.some((o) => o.start < back.end && back.start < o.end)) continue;
        next.push(back);
        revived.push(back);
        changed = true;
      } else if ((g.insertedLength === 0 && a === g.at) || (a < g.at + g.insertedLength && g.at < b)) {
        // text typed where the label was, or over it: the place is no longer the label's
        graveyard.splice(i, 1);
      } else if (b <= g.at) g.at += delta;
    }
    graveyard.push(...buried);
    live = next;
  }
  if (graveyard.length > REMEMBERED_REMOVALS) graveyard.splice(0, graveyard.length - REMEMBERED_REMOVALS);
  // edits keep spans in order; only a label brought back by undo needs its place
  if (revived.length) live.sort((x, y) => x.start - y.start || x.end - y.end);
  return { spans: live, removed, revived, changed };
}

/** The span after one change: the same object when untouched, a new one when moved, undefined when removed. */
function applyOne<S extends FollowedSpan>(s: S, a: number, b: number, text: string, delta: number): S | undefined {
  const { start, end } = s;
  // wholly before (an insertion at the start counts as before)
  if (b <= start) return delta === 0 ? s : { ...s, start: start + delta, end: end + delta };
  // wholly after (an insertion at the end counts as after)
  if (a >= end) return s;
  if (a <= start && b >= end) return undefined;
  if (a >= start && b <= end) {
    const covered = s.covered.slice(0, a - start) + text + s.covered.slice(b - start);
    return { ...s, end: end + delta, covered };
  }
  // across the start: the new text stays in front of the span
  if (a < start) return { ...s, start: a + text.length, end: end + delta, covered: s.covered.slice(b - start) };
  // across the end
  return { ...s, end: a, covered: s.covered.slice(0, a - start) };
}

/** One change that turns `before` into `after` (their common start and end kept), or undefined when equal. */
export function differenceOf(before: string, after: string): TextChange | undefined {
  if (before === after) return undefined;
  let head = 0;
  const max = Math.min(before.length, after.length);
  while (head < max && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  while (tail < max - head && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return { rangeOffset: head, rangeLength: before.length - head - tail, text: after.slice(head, after.length - tail) };
}
