/**
 * Code information as features show it: description, billable or header, and
 * the parent chain (E11.9 -> E11 -> Chapter 4). With no set installed a code
 * still gets its system and chapter, and nothing more: nothing is invented.
 */
import { chapterLabel, chapterOf } from './chapters';
import type { CodeRecord } from './codesets';
import { findCandidates, resolveDetections, type Candidate, type CodeKnowledge } from './detect';
import type { IcdStore } from './store';
import { ALL_SYSTEMS, SYSTEM_NAMES, displayCode, hasShape, normalizeCode, systemsForWritten, type IcdSystem } from './systems';

export interface ParentInfo {
  /** undotted; absent for chapters and sections */
  code?: string;
  /** "E11", "E08-E13", "Chapter 4 (E00-E89)" */
  display: string;
  description: string;
  kind: 'category' | 'block' | 'chapter' | 'section';
}

/** a GEM mapping to the other revision, as CMS published it */
export interface MappingInfo {
  system: IcdSystem;
  systemName: string;
  code: string;
  display: string;
  description: string | null;
  /** CMS flags the mapping as approximate, not an exact equivalent */
  approximate: boolean;
  /** one of several codes that together express the source */
  combination: boolean;
}

export interface CodeInfo {
  system: IcdSystem;
  /** "ICD-10-CM" */
  systemName: string;
  /** undotted */
  code: string;
  /** as clinicians write it: "E11.9" */
  display: string;
  /** listed in an installed code set */
  known: boolean;
  /** whether a set of this system is installed at all */
  installed: boolean;
  description: string | null;
  short: string | null;
  /** null when unknown (no set installed) */
  billable: boolean | null;
  /** nearest first, ending with the chapter or section */
  parents: ParentInfo[];
  /** GEM mappings to the other revision; present only when GEM files are installed */
  mappings?: MappingInfo[];
  /**
   * For an ICD-9-CM category the installed files do not list (they hold billable codes only):
   * the codes listed under it, first ten
   */
  narrower?: Array<{ code: string; display: string; description: string }>;
}

export interface DetectedCode {
  start: number;
  end: number;
  written: string;
  /** likeliest first */
  readings: CodeInfo[];
}

function parentPrefixes(system: IcdSystem, code: string): string[] {
  const min = system === 'icd9cm-dx' && code.startsWith('E') ? 4 : system === 'icd9cm-sg' ? 2 : 3;
  const out: string[] = [];
  if (system === 'icd10pcs') return code.length > 3 ? [code.slice(0, 3)] : [];
  for (let n = code.length - 1; n >= min; n--) out.push(code.slice(0, n));
  return out;
}

export class IcdCatalog {
  constructor(private readonly store: IcdStore | undefined) {}

  installedSystems(): Set<IcdSystem> {
    return new Set(this.store?.systems() ?? []);
  }

  /**
   * Records of codes and of every prefix that could be a parent, in one query
   * (the store caches them, so describing afterwards costs no further query).
   */
  private async fetchWithParents(codes: string[]): Promise<Map<string, CodeRecord[]>> {
    if (!this.store || !codes.length) return new Map();
    const wanted = new Set<string>();
    for (const c of codes) for (let n = c.length; n >= 2; n--) wanted.add(c.slice(0, n));
    return this.store.lookup([...wanted]);
  }

  /** Information for (system, code) pairs, parents (and GEM mappings, if installed) included. */
  async describe(pairs: Array<{ system: IcdSystem; code: string }>): Promise<CodeInfo[]> {
    const installed = this.installedSystems();
    const gems = this.store ? await this.store.mappings(pairs) : [];
    const found = await this.fetchWithParents([...pairs.map((p) => p.code), ...gems.map((g) => g.toCode)]);
    const rec = (system: IcdSystem, code: string) => found.get(code)?.find((r) => r.system === system);
    return pairs.map(({ system, code }) => {
      const r = rec(system, code);
      const parents: ParentInfo[] = [];
      for (const q of parentPrefixes(system, code)) {
        const pr = rec(system, q);
        if (pr) parents.push({ code: q, display: displayCode(system, q), description: pr.long, kind: 'category' });
      }
      const block = system === 'icd10cm' ? this.store?.blockOf(code.slice(0, 3)) : undefined;
      if (block) parents.push({ display: block.id, description: block.title, kind: 'block' });
      const ch = chapterOf(system, code);
      // a PCS section is its first character: "Section 0", not "Section 0 (0)"
      if (ch) parents.push({ display: system === 'icd10pcs' ? chapterLabel(system, ch) : `${chapterLabel(system, ch)} (${ch.range})`, description: ch.title, kind: system === 'icd10pcs' ? 'section' : 'chapter' });
      const info: CodeInfo = {
        system,
        systemName: SYSTEM_NAMES[system],
        code,
        display: displayCode(system, code),
        known: r !== undefined,
        installed: installed.has(system),
        description: r?.long ?? null,
        short: r?.short ?? null,
        billable: r ? r.billable : null,
        parents,
      };
      const maps = gems.filter((g) => g.from === system && g.fromCode === code);
      if (maps.length) {
        info.mappings = maps.map((g) => ({
          system: g.to,
          systemName: SYSTEM_NAMES[g.to],
          code: g.toCode,
          display: displayCode(g.to, g.toCode),
          description: rec(g.to, g.toCode)?.long ?? null,
          approximate: g.approximate,
          combination: g.combination,
        }));
      }
      return info;
    });
  }

  /**
   * Every reading of each query ("E11.9", "25000", "0DTJ4ZZ"), listed by system: a dotted query
   * matches only codes with the dot in that place (823.2 is never procedure 82.32); an undotted
   * one matches any system. Where it exists in none, the readings are the systems whose shape it has.
   */
  async lookup(queries: string[], system?: IcdSystem): Promise<Array<{ query: string; readings: CodeInfo[] }>> {
    const codes = queries.map(normalizeCode);
    const found = await this.fetchWithParents(codes);
    const pairs: Array<{ system: IcdSystem; code: string; q: number }> = [];
    codes.forEach((code, q) => {
      const written = queries[q]!.trim().toUpperCase();
      const shaped = written.includes('.') ? systemsForWritten(written) : ALL_SYSTEMS.filter((s) => hasShape(s, code));
      const known = new Set((found.get(code) ?? []).map((r) => r.system));
      let systems = shaped.filter((s) => known.has(s));
      if (!systems.length) systems = shaped;
      if (system) systems = systems.filter((s) => s === system);
      for (const s of systems) pairs.push({ system: s, code, q });
    });
    const infos = await this.describe(pairs);
    await this.addNarrower(infos);
    return queries.map((query, q) => ({ query, readings: infos.filter((_, i) => pairs[i]!.q === q) }));
  }

  async detect(text: string): Promise<DetectedCode[]> {
    const candidates = findCandidates(text);
    if (!candidates.length) return [];
    // parents are fetched only for the codes kept
    const found = this.store ? await this.store.lookup(candidates.map((c) => c.code)) : new Map<string, CodeRecord[]>();
    const under = this.store ? await this.store.icd9CodesUnder(categoryQueries(candidates, found), 1) : new Map<string, CodeRecord[]>();
    const knowledge: CodeKnowledge = {
      installed: this.installedSystems(),
      systemsOf: (code) => (found.get(code) ?? []).map((r) => r.system),
      billable: (system, code) => found.get(code)?.find((r) => r.system === system)?.billable ?? false,
      categoryIn: (code) => [...new Set((under.get(code) ?? []).map((r) => r.system))],
    };
    const detections = resolveDetections(text, candidates, knowledge);
    // a note names few distinct codes, often many times: each is described once
    const unique = new Map<string, { system: IcdSystem; code: string }>();
    for (const d of detections) for (const r of d.readings) unique.set(`${r.system}:${r.code}`, r);
    const infos = await this.describe([...unique.values()]);
    await this.addNarrower(infos);
    const byKey = new Map([...unique.keys()].map((k, i) => [k, infos[i]!]));
    return detections.map((d) => ({ start: d.start, end: d.end, written: d.written, readings: d.readings.map((r) => byKey.get(`${r.system}:${r.code}`)!) }));
  }

  /** names unlisted ICD-9-CM categories by the codes under them */
  private async addNarrower(infos: CodeInfo[]): Promise<void> {
    const categories = infos.filter((i) => !i.known && i.installed && i.system.startsWith('icd9'));
    if (!categories.length || !this.store) return;
    const under = await this.store.icd9CodesUnder(categories.map((i) => i.code));
    for (const info of categories) {
      const codes = (under.get(info.code) ?? []).filter((r) => r.system === info.system).slice(0, 10);
      if (codes.length) info.narrower = codes.map((r) => ({ code: r.code, display: displayCode(r.system, r.code), description: r.long }));
    }
  }

  async search(query: string, opts: { limit?: number; systems?: IcdSystem[] } = {}): Promise<CodeInfo[]> {
    if (!this.store || !query.trim()) return [];
    const records = await this.store.search(query, opts);
    return records.map((r) => ({
      system: r.system,
      systemName: SYSTEM_NAMES[r.system],
      code: r.code,
      display: displayCode(r.system, r.code),
      known: true,
      installed: true,
      description: r.long,
      short: r.short,
      billable: r.billable,
      parents: [],
    }));
  }
}

/** at most this many category look-ups per note: each is one query */
const MAX_CATEGORY_QUERIES = 100;

/**
 * Candidates shaped like ICD-9-CM codes that no installed file lists, and that could stand in a
 * code context (a cue, parentheses, a list): they may be categories whose codes the files list.
 */
function categoryQueries(candidates: Candidate[], found: Map<string, CodeRecord[]>): string[] {
  const out = new Set<string>();
  let prevEnd = -Infinity;
  for (const c of candidates) {
    const nearPrevious = c.start - prevEnd <= 12;
    prevEnd = c.end;
    if (out.size >= MAX_CATEGORY_QUERIES) break;
    const listed = (found.get(c.code) ?? []).map((r) => r.system);
    if (!c.systems.some((s) => s.startsWith('icd9') && !listed.includes(s))) continue;
    if (c.cued || c.parenthesized || nearPrevious) out.add(c.code);
  }
  return [...out];
}
