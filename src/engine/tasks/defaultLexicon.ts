/**
 * The default clinical lexicon shipped with the extension
 * (media/lexicon/clinical-lexicon.txt, built by scripts/lexicon/build.mjs from
 * the public-domain and own sources named in media/lexicon/NOTICE). It is used
 * when the user has no lexicon folder of their own.
 *
 * File format: "#" comment lines; "@TYPE SOURCE" starts a section whose terms
 * (one per line) match in any case; "@TYPE SOURCE case" a section whose terms
 * match only with the case written (abbreviations such as "MI", which in lower
 * case is miles). Sources are recorded so that tests can check every term
 * against the list it came from; matching ignores them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError } from '../errors';
import { Lexicon, type LexiconSource } from './lexicon';
import { DEFAULT_CONTEXT_RULES } from './lexiconRules';

export const DEFAULT_LEXICON_FILE = 'clinical-lexicon.txt';

export interface DefaultLexiconSection extends LexiconSource {
  source: string;
}

export function parseDefaultLexicon(text: string): DefaultLexiconSection[] {
  const sections: DefaultLexiconSection[] = [];
  let current: { type: string; source: string; exactCase: boolean; terms: string[] } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      const m = /^@([a-z]+) ([a-z0-9]+)( case)?$/.exec(line);
      if (!m) throw new EngineError('bad-input', `The default lexicon is damaged (line ${i + 1}): reinstall the extension.`);
      current = { type: m[1]!, source: m[2]!, exactCase: m[3] !== undefined, terms: [] };
      sections.push(current);
      continue;
    }
    if (!current) throw new EngineError('bad-input', `The default lexicon is damaged (line ${i + 1}): reinstall the extension.`);
    current.terms.push(line);
  }
  return sections;
}

/**
 * The shipped file: beside the bundles (dist/ -> ../media/lexicon) or, when the
 * engine runs from its sources (tests, benchmarks), at the repository root.
 */
export function defaultLexiconPath(): string | undefined {
  for (const up of [['..'], ['..', '..', '..']]) {
    const p = join(__dirname, ...up, 'media', 'lexicon', DEFAULT_LEXICON_FILE);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface LoadedDefaultLexicon {
  lexicon: Lexicon;
  path: string;
}

let cached: { path: string; lexicon: Lexicon } | undefined;

/** Reads and builds the default lexicon once per process (it is the same file every time). */
export function loadDefaultLexicon(path = defaultLexiconPath()): LoadedDefaultLexicon {
  if (!path) throw new EngineError('missing-file', 'The default clinical lexicon is missing from this installation (media/lexicon): reinstall the extension, or set clinicalModernbert.lexiconFolder to your own term lists.');
  if (cached?.path === path) return { lexicon: cached.lexicon, path };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EngineError('missing-file', `The default clinical lexicon (${path}) could not be read: reinstall the extension, or set clinicalModernbert.lexiconFolder to your own term lists.`);
  }
  const lexicon = new Lexicon(parseDefaultLexicon(text), { rules: DEFAULT_CONTEXT_RULES });
  cached = { path, lexicon };
  return { lexicon, path };
}
