/**
 * Methods for entities, assertion, lexicons and classification, and their
 * handlers. The worker joins `createTaskHandlers(host)` with the other domains.
 */
import { EngineError } from '../errors';
import type { Handlers } from '../handlers';
import type { EngineHost } from '../host';
import type { MethodSpec } from '../protocol';
import { assertSpans, type Assertion } from './assertion';
import { classifyText, type ClassifyResult } from './classify';
import { EntityTagger, type TagParams, type TagResult } from './entityTagger';
import { loadDefaultLexicon } from './defaultLexicon';
import { loadLexiconFolder } from './lexicon';

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

export function createTaskHandlers(host: EngineHost): Handlers<TaskMethods> {
  const tagger = new EntityTagger(host);
  return {
    'ner.tag': async (params, ctx) => tagger.tag(params, ctx.signal),
    'ner.forget': async ({ document }) => {
      tagger.forget(document);
      return null;
    },
    'ner.assert': async ({ text, spans, windowWords }) => {
      if (typeof text !== 'string' || !Array.isArray(spans)) throw new EngineError('bad-input', 'ner.assert needs { text, spans: [{ start, end }] }.');
      return assertSpans(text, spans, { windowWords });
    },
    classify: async ({ text, head }, ctx) => {
      if (typeof text !== 'string') throw new EngineError('bad-input', 'classify needs the note text as a string.');
      return classifyText(host.model(), text, ctx.signal, head || host.settings().sequenceHead || undefined);
    },
    'lexicon.load': async ({ folder, builtIn }) => {
      if (!folder && builtIn) {
        const started = Date.now();
        const { lexicon } = loadDefaultLexicon();
        tagger.setLexicon(lexicon);
        host.log('info', `Built-in clinical lexicon loaded: ${lexicon.termCount} terms of ${lexicon.types.length} types in ${Date.now() - started} ms.`);
        return { types: [...lexicon.types], terms: lexicon.termCount, files: 1, skipped: [], builtIn: true };
      }
      if (!folder) {
        tagger.setLexicon(undefined);
        return { types: [], terms: 0, files: 0, skipped: [], builtIn: false };
      }
      const loaded = loadLexiconFolder(folder);
      tagger.setLexicon(loaded.lexicon);
      for (const s of loaded.skipped) host.log('warn', `Lexicon file skipped: ${s}`);
      host.log('info', `Lexicon loaded: ${loaded.lexicon.termCount} terms of ${loaded.lexicon.types.length} types from ${loaded.files} files.`);
      return { types: [...loaded.lexicon.types], terms: loaded.lexicon.termCount, files: loaded.files, skipped: loaded.skipped, builtIn: false };
    },
  };
}

