/**
 * The checks every reader applies to the spans it found, so that bad spans
 * are reported the same way whatever the format: offsets that are not whole
 * numbers, reversed, empty or outside the text, a boundary inside a
 * character, a missing label, and spans that overlap one kept before them
 * (the first in the source wins; nested and overlapping entities are not
 * supported by BIO tagging). Kept spans come back sorted by start.
 */
import type { DatasetProblem, LabelledSpan } from './types';

export interface CandidateSpan {
  start: unknown;
  end: unknown;
  label: unknown;
  /** the span's own line in the source (brat), else the document's */
  line?: number;
}

export interface SpanCheckContext {
  doc: string;
  text: string;
  file?: string;
  line?: number;
  /**
   * Converts the source's offsets into UTF-16 (code points for Python tools);
   * undefined: the offsets are UTF-16 already.
   */
  toUtf16?: (offset: number) => number | undefined;
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const p = text.charCodeAt(i - 1);
  return c >= 0xdc00 && c <= 0xdfff && p >= 0xd800 && p <= 0xdbff;
}

export function checkSpans(candidates: readonly CandidateSpan[], ctx: SpanCheckContext, problems: DatasetProblem[]): LabelledSpan[] {
  const kept: LabelledSpan[] = [];
  const report = (c: CandidateSpan, message: string, start?: number, end?: number): void => {
    const line = c.line ?? ctx.line;
    problems.push({
      doc: ctx.doc,
      ...(ctx.file !== undefined ? { file: ctx.file } : {}),
      ...(line !== undefined ? { line } : {}),
      ...(start !== undefined ? { start, end } : {}),
      message,
    });
  };
  for (const c of candidates) {
    const { start: rawStart, end: rawEnd, label } = c;
    if (typeof rawStart !== 'number' || typeof rawEnd !== 'number' || !Number.isInteger(rawStart) || !Number.isInteger(rawEnd)) {
      report(c, 'span offsets are not whole numbers: left out');
      continue;
    }
    if (typeof label !== 'string' || label.trim() === '' || /[\r\n\t]/.test(label)) {
      report(c, 'span has no usable label (a non-empty string without tabs or line breaks): left out', rawStart, rawEnd);
      continue;
    }
    if (rawStart > rawEnd) {
      report(c, `${label} span ends before it starts: left out`, rawStart, rawEnd);
      continue;
    }
    if (rawStart === rawEnd) {
      report(c, `${label} span is empty: left out`, rawStart, rawEnd);
      continue;
    }
    const start = ctx.toUtf16 ? ctx.toUtf16(rawStart) : rawStart;
    const end = ctx.toUtf16 ? ctx.toUtf16(rawEnd) : rawEnd;
    if (start === undefined || end === undefined || start < 0 || end > ctx.text.length) {
      report(c, `${label} span lies outside the text: left out`, rawStart, rawEnd);
      continue;
    }
    if (isLowSurrogate(ctx.text, start) || isLowSurrogate(ctx.text, end)) {
      report(c, `${label} span boundary falls inside a character (between the two halves of a UTF-16 pair): left out`, start, end);
      continue;
    }
    // kept spans never overlap each other, so only the neighbours of the insertion point can overlap
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const clash = [kept[lo - 1], kept[lo]].find((k) => k && k.start < end && start < k.end);
    if (clash) {
      const same = clash.start === start && clash.end === end;
      report(
        c,
        same && clash.label === label
          ? `${label} span appears twice: the copy is left out`
          : `${label} span overlaps the ${clash.label} span at ${clash.start}-${clash.end}: left out (the first one is kept; nested and overlapping spans are not supported)`,
        start,
        end,
      );
      continue;
    }
    kept.splice(lo, 0, { start, end, label });
  }
  return kept;
}
