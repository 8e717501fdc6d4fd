/**
 * The search index's engine methods: types only (the handlers are in
 * handlers.ts).
 */
import type { MethodSpec } from '../methodSpec';
import type { IndexRunResult } from './indexer';
import type { SearchResponse } from './search';

export interface IndexTarget {
  /** the notes folder (absolute) */
  folder: string;
  /** the index database; default: a file named after the folder in the engine's storage folder */
  dbPath?: string;
}

export interface IndexUpdateParams extends IndexTarget {
  include?: string[];
  exclude?: string[];
  maxFileSizeMB?: number;
  /** only these files (absolute, or relative to the folder), e.g. from a file watcher */
  paths?: string[];
}

export interface IndexUpdateResult extends IndexRunResult {
  dbPath: string;
  /** e.g. a damaged index was moved aside and rebuilt */
  notice?: string;
}

export interface IndexSearchParams extends IndexTarget {
  query: string;
  k?: number;
  pathGlob?: string;
}

export interface IndexSimilarParams extends IndexTarget {
  text: string;
  k?: number;
  /** the note the text comes from, left out of the results (relative to the folder, or absolute) */
  excludePath?: string;
  pathGlob?: string;
}

export interface IndexStats {
  dbPath: string;
  /** database file plus its write-ahead log */
  bytes: number;
  documents: number;
  indexed: number;
  chunks: number;
  vectors: number;
  tokens: number;
  skippedBinary: number;
  skippedLarge: number;
  empty: number;
  latin1: number;
  fingerprint: string | null;
  dims: number;
  lexicalOnly: boolean;
  lastFullRun: string | null;
  schemaVersion: number;
}

export type SearchMethods = {
  'index.update': MethodSpec<IndexUpdateParams, IndexUpdateResult>;
  'index.search': MethodSpec<IndexSearchParams, SearchResponse>;
  'index.similar': MethodSpec<IndexSimilarParams, SearchResponse>;
  'index.stats': MethodSpec<IndexTarget, IndexStats>;
  'index.rebuild': MethodSpec<Omit<IndexUpdateParams, 'paths'>, IndexUpdateResult>;
};
