/** The task methods' handlers; the worker joins `createTaskHandlers(host)` with the other domains. */
import { EngineError } from '../errors';
import type { Handlers } from '../handlers';
import type { EngineHost } from '../host';
import { assertSpans } from './assertion';
import { classifyText } from './classify';
import { EntityTagger } from './entityTagger';
import { loadDefaultLexicon } from './defaultLexicon';
import { loadLexiconFolder } from './lexicon';
import type { TaskMethods } from './protocol';

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

