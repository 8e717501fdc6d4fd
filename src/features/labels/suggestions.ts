/**
 * "Accept Suggestions in Selection": which predicted entities become labels.
 * Free of the VS Code API.
 *
 * An entity becomes a label when it lies wholly inside one of the ranges (the
 * selections, or the whole note) and overlaps no label the note has or one
 * accepted just before it. The decoder lower-cases entity types, so a type
 * takes the project's own spelling of a label when one matches (`problem` ->
 * `Problem`).
 */
export interface Suggestion {
  start: number;
  end: number;
  type: string;
}

export interface Accepted {
  accept: Array<{ start: number; end: number; label: string }>;
  /** inside the ranges but overlapping a label */
  skipped: number;
}

export function acceptSuggestions(
  entities: readonly Suggestion[],
  ranges: ReadonlyArray<{ start: number; end: number }>,
  existing: ReadonlyArray<{ start: number; end: number }>,
  projectLabels: Iterable<string>,
): Accepted {
  const spelling = new Map<string, string>();
  for (const l of projectLabels) if (!spelling.has(l.toLowerCase())) spelling.set(l.toLowerCase(), l);
  const taken = [...existing];
  const accept: Accepted['accept'] = [];
  let skipped = 0;
  const sorted = [...entities].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const e of sorted) {
    if (!ranges.some((r) => r.start <= e.start && e.end <= r.end)) continue;
    if (taken.some((t) => t.start < e.end && e.start < t.end)) {
      skipped++;
      continue;
    }
    accept.push({ start: e.start, end: e.end, label: spelling.get(e.type.toLowerCase()) ?? e.type });
    taken.push(e);
  }
  return { accept, skipped };
}
