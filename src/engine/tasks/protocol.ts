/**
 * Methods for entities, assertion, lexicons and classification: types only
 * (the handlers are in handlers.ts).
 */
import type { MethodSpec } from '../methodSpec';
import type { Assertion } from './assertion';
import type { ClassifyResult } from './classify';
import type { TagParams, TagResult } from './entityTagger';

export type { Assertion } from './assertion';
export type { ClassifyResult } from './classify';
export type { EntitySpan, ModelUse, TagParams, TagResult } from './entityTagger';
export type { MergeMode } from './lexicon';

export interface LexiconInfo {
  /** entity types, one per file */
  types: string[];
  terms: number;
  files: number;
  /** files that could not be read, with why */
  skipped: string[];
}

export type TaskMethods = {
  /** entities of a note with assertion status; incremental per `document` */
  'ner.tag': MethodSpec<TagParams, TagResult>;
  /** the cached blocks of a closed document can go */
  'ner.forget': MethodSpec<{ document: string }, null>;
  /** assertion status of given spans */
  'ner.assert': MethodSpec<{ text: string; spans: Array<{ start: number; end: number }>; windowWords?: number }, Assertion[]>;
  /** note classification with the loaded model's sequence head, or a head folder by name (default: the sequenceHead setting) */
  classify: MethodSpec<{ text: string; head?: string }, ClassifyResult>;
  /** loads the term lists of a folder (one file per entity type); '' unloads */
  'lexicon.load': MethodSpec<{ folder: string }, LexiconInfo>;
};
