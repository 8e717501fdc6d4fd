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
  /** entity types, one per file (the default lexicon: problem, drug, test, procedure, anatomy) */
  types: string[];
  terms: number;
  files: number;
  /** files that could not be read, with why */
  skipped: string[];
  /** the built-in clinical lexicon is loaded (no folder was given) */
  builtIn: boolean;
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
  /** loads the term lists of a folder (one file per entity type); '' loads the built-in clinical lexicon when `builtIn` is true, else unloads */
  'lexicon.load': MethodSpec<{ folder: string; builtIn?: boolean }, LexiconInfo>;
};
