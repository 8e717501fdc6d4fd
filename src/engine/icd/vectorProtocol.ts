/**
 * Engine methods for ICD codes suggested by the encoder and the ICD map.
 * Types only (structured-cloneable); handlers are in vectorHandlers.ts.
 */
import type { MethodSpec } from '../methodSpec';
import type { IcdSystem } from './systems';

export type SuggestRanker = 'words' | 'encoder';

export interface CodeSuggestion {
  system: IcdSystem;
  systemName: string;
  /** undotted */
  code: string;
  /** as written in notes: "E11.9" */
  display: string;
  description: string;
  billable: boolean;
  /** "Chapter 4 Endocrine, nutritional and metabolic diseases", "Section 0 Medical and Surgical" */
  chapter: string;
  /** fused score (reciprocal rank fusion), higher is better */
  score: number;
  /** the rankers that found this code */
  rankers: SuggestRanker[];
  /** cosine similarity of the text and the code's embedding, when the encoder found it */
  similarity?: number;
}

export interface SuggestResponse {
  /** false when no code set is installed */
  installed: boolean;
  items: CodeSuggestion[];
  /** true when the encoder took no part: only words were matched */
  wordsOnly: boolean;
  /** why, in words for the user */
  reason?: string;
  /** codes of the asked systems that have embeddings for the loaded model, and how many codes those systems have */
  embedded: { codes: number; total: number };
  ms: number;
}

export interface EmbedPlanSystem {
  system: IcdSystem;
  name: string;
  codes: number;
  billable: number;
  /** embedded with the current release and template */
  embedded: number;
  /** still to embed: all codes, and billable codes only */
  toEmbed: number;
  toEmbedBillable: number;
}

export interface EmbedPlan {
  installed: boolean;
  modelName: string;
  /** a demo or random-weight model: its code space is noise and suggestions ignore it */
  demo: boolean;
  template: string;
  systems: EmbedPlanSystem[];
  /** measured on a sample of codes with the loaded model; 0 when nothing is left to embed */
  secondsPerCode: number;
}

export interface EmbedParams {
  systems: IcdSystem[];
  /** billable codes only (headers are left out) */
  billableOnly?: boolean;
  template?: string;
}

export interface EmbedResult {
  /** codes embedded by this run */
  embedded: number;
  /** codes whose embedding was already current */
  kept: number;
  /** codes removed because the release no longer has them */
  removed: number;
  seconds: number;
}

export interface MapLegendEntry {
  /** "4", "V", "0" (PCS section) */
  id: string;
  /** "Chapter 4", "Section 0" */
  label: string;
  title: string;
  /** points of this chapter on the map */
  count: number;
}

export interface CodeMapData {
  modelKey: string;
  modelName: string;
  demo: boolean;
  system: IcdSystem;
  systemName: string;
  builtAt: string;
  /** x, y of each point */
  xy: Float32Array;
  /** display codes ("E11.9"), one per point */
  codes: string[];
  descriptions: string[];
  /** 1 billable, 0 header */
  billable: Uint8Array;
  /** index into legend, one per point */
  chapters: Uint16Array;
  legend: MapLegendEntry[];
  /** embedded codes of the system; more than points when the map shows a sample */
  total: number;
  /** true when the projection was computed by this request (not from the cache) */
  computed: boolean;
}

export interface MapLocation {
  /** where the text lies on the map: the similarity-weighted mean of its nearest codes' positions */
  x: number;
  y: number;
  /** nearest codes on the map, most similar first */
  neighbours: Array<{ code: string; display: string; similarity: number }>;
}

export interface StoredMapInfo {
  modelKey: string;
  modelName: string;
  modelPath: string;
  demo: boolean;
  system: IcdSystem;
  systemName: string;
  points: number;
  builtAt: string;
  /** the loaded model's */
  current: boolean;
}

export type CodeVectorMethods = {
  /** what embedding the code sets with the loaded model would take */
  'icd.embedPlan': MethodSpec<{ template?: string }, EmbedPlan>;
  /** embeds codes of the chosen systems (resumable, incremental), with progress */
  'icd.embed': MethodSpec<EmbedParams, EmbedResult>;
  /** codes for a phrase, from the encoder and the descriptions' words */
  'icd.suggest': MethodSpec<{ text: string; k?: number; systems?: IcdSystem[]; template?: string }, SuggestResponse>;
  /** the map of one system's code space for the loaded model (computed once, cached); or a stored map of another model (modelKey) */
  'icd.map': MethodSpec<{ system?: IcdSystem; maxPoints?: number; template?: string; modelKey?: string }, CodeMapData>;
  /** where a text falls on the loaded model's map */
  'icd.mapLocate': MethodSpec<{ text: string; system: IcdSystem; maxPoints?: number; template?: string }, MapLocation>;
  /** maps stored for any model, to compare */
  'icd.maps': MethodSpec<Record<string, never>, StoredMapInfo[]>;
};
