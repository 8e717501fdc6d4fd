/**
 * Which labels the label pickers offer, in which order, and the colour slot a
 * label is drawn in. Free of the VS Code API.
 *
 * Order: the labels used most recently first (most recent on top), then the
 * project's other labels alphabetically. A typed name that is not a label yet
 * becomes a "new label" entry after them; brat type names cannot hold whitespace, so it
 * is offered with underscores (the dataset writer does the same).
 */
import { bratLabel } from '../../engine/data/brat';

/** Recent labels remembered per kind (spans, notes). */
export const RECENT_CAP = 30;

export interface LabelChoice {
  label: string;
  /** the label is not in the project yet */
  isNew: boolean;
  /** among the recently used */
  recent: boolean;
}

/** `recent` is most recent first. */
export function labelChoices(recent: readonly string[], known: Iterable<string>, typed = ''): LabelChoice[] {
  const seen = new Set<string>();
  const out: LabelChoice[] = [];
  for (const l of recent) {
    if (seen.has(l)) continue;
    seen.add(l);
    out.push({ label: l, isNew: false, recent: true });
  }
  const rest = [...new Set(known)].filter((l) => !seen.has(l)).sort((a, b) => a.localeCompare(b));
  for (const l of rest) {
    seen.add(l);
    out.push({ label: l, isNew: false, recent: false });
  }
  const name = normaliseLabel(typed);
  // last, so that Enter on a partly typed name picks the existing label it matches
  if (name && !seen.has(name)) out.push({ label: name, isNew: true, recent: false });
  return out;
}

/** A typed label as it can be stored: trimmed, whitespace runs as `_`; '' when nothing usable was typed. */
export function normaliseLabel(typed: string): string {
  return typed.trim() === '' ? '' : bratLabel(typed);
}

/** `label` moved to the front of the recent list. */
export function touchRecent(recent: readonly string[], label: string, cap = RECENT_CAP): string[] {
  return [label, ...recent.filter((l) => l !== label)].slice(0, cap);
}

/** Distinct border colours contributed for labels (clinicalModernbert.label.1 ... .N). */
export const LABEL_COLOUR_SLOTS = 8;

/** A label's colour slot (1-based), stable across sessions and machines: a hash of its name. */
export function labelColourSlot(label: string): number {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % LABEL_COLOUR_SLOTS) + 1;
}
