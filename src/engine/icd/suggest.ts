/**
 * ICD codes for a phrase: the codes whose embeddings lie nearest the phrase's
 * (the encoder) and the codes whose descriptions share its words (the code
 * set's full-text index), fused by reciprocal rank fusion as search.ts fuses
 * notes. Either side alone still gives answers: a demo model, or codes not
 * yet embedded, leave the words; a phrase in other words than the
 * description ("afib", "broken hip") is what the encoder adds.
 */
import { RRF_K } from '../index/search';
import { chapterLabel, chapterOf } from './chapters';
import type { CodeRecord } from './codesets';
import type { CodeHit } from './codeVectors';
import type { IcdStore } from './store';
import { displayCode, SYSTEM_NAMES, type IcdSystem } from './systems';
import type { CodeSuggestion, SuggestRanker, SuggestResponse } from './vectorProtocol';

/** candidates each ranker gives before fusion */
export const PER_RANKER = 50;
/** characters of the text that are matched and embedded: a selection, a diagnosis line */
export const MAX_SUGGEST_CHARS = 2000;

export interface RankedList {
  ranker: SuggestRanker;
  /** keys, best first */
  keys: string[];
}

export interface Fused {
  key: string;
  score: number;
  ranks: Partial<Record<SuggestRanker, number>>;
}

/** Reciprocal rank fusion: score = sum over rankers of 1 / (60 + rank); ties keep the first list's order. */
export function fuseRankings(lists: RankedList[]): Fused[] {
  const out = new Map<string, Fused & { first: number }>();
  let seq = 0;
  for (const list of lists) {
    list.keys.forEach((key, i) => {
      let f = out.get(key);
      if (!f) out.set(key, (f = { key, score: 0, ranks: {}, first: seq++ }));
      if (f.ranks[list.ranker] !== undefined) return; // a key listed twice counts once
      f.ranks[list.ranker] = i + 1;
      f.score += 1 / (RRF_K + i + 1);
    });
  }
  return [...out.values()].sort((a, b) => b.score - a.score || a.first - b.first).map(({ key, score, ranks }) => ({ key, score, ranks }));
}

const keyOf = (system: IcdSystem, code: string) => `${system}:${code}`;

export function chapterText(system: IcdSystem, code: string): string {
  const ch = chapterOf(system, code);
  return ch ? `${chapterLabel(system, ch)} ${ch.title}` : '';
}

export interface SuggestInput {
  text: string;
  k?: number;
  systems?: IcdSystem[];
}

export interface EncoderSide {
  /** nearest codes to the text's embedding, best first */
  nearest(text: string, k: number, systems: readonly IcdSystem[]): Promise<CodeHit[]>;
}

/**
 * Ranks codes for a text. `encoder` absent: words only, and `reason` says why.
 */
export async function suggestCodes(
  store: IcdStore,
  input: SuggestInput,
  encoder: EncoderSide | undefined,
  info: { reason?: string; embedded: { codes: number; total: number } },
): Promise<SuggestResponse> {
  const t0 = performance.now();
  const k = Math.max(1, Math.min(100, Math.floor(Number.isFinite(input.k) ? (input.k as number) : 10)));
  const installed = store.systems();
  const systems = input.systems?.length ? input.systems.filter((s) => installed.includes(s)) : installed;
  const text = input.text.slice(0, MAX_SUGGEST_CHARS);
  const none = (reason?: string): SuggestResponse => ({ installed: true, items: [], wordsOnly: !encoder, reason, embedded: info.embedded, ms: Math.round(performance.now() - t0) });
  if (!systems.length || !text.trim()) return none(encoder ? undefined : info.reason);

  const [words, near] = await Promise.all([
    store.rankByWords(text, { limit: PER_RANKER, systems }),
    encoder ? encoder.nearest(text, PER_RANKER, systems) : Promise.resolve([] as CodeHit[]),
  ]);
  const records = new Map<string, CodeRecord>(words.map((r) => [keyOf(r.system, r.code), r]));
  const similarity = new Map(near.map((h) => [keyOf(h.system, h.code), h.score]));
  const fused = fuseRankings([
    // a word match covering none of the stems cannot happen; one covering few is still a candidate
    { ranker: 'words', keys: words.map((r) => keyOf(r.system, r.code)) },
    { ranker: 'encoder', keys: near.map((h) => keyOf(h.system, h.code)) },
  ]).slice(0, k);

  // descriptions of codes only the encoder found
  const missing = fused.filter((f) => !records.has(f.key)).map((f) => f.key.slice(f.key.indexOf(':') + 1));
  if (missing.length) {
    const found = await store.lookup(missing);
    for (const list of found.values()) for (const r of list) records.set(keyOf(r.system, r.code), r);
  }
  const items: CodeSuggestion[] = [];
  for (const f of fused) {
    const r = records.get(f.key);
    if (!r) continue; // embedded from an older release: no longer a code
    items.push({
      system: r.system,
      systemName: SYSTEM_NAMES[r.system],
      code: r.code,
      display: displayCode(r.system, r.code),
      description: r.long,
      billable: r.billable,
      chapter: chapterText(r.system, r.code),
      score: f.score,
      rankers: (['words', 'encoder'] as const).filter((x) => f.ranks[x] !== undefined),
      ...(similarity.has(f.key) ? { similarity: similarity.get(f.key)! } : {}),
    });
  }
  return { installed: true, items, wordsOnly: !encoder, reason: encoder ? undefined : info.reason, embedded: info.embedded, ms: Math.round(performance.now() - t0) };
}
