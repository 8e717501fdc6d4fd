/**
 * The search settings, typed. (Kept beside the feature so the shared config.ts
 * stays untouched; it can move there when the features are joined.)
 */
import * as vscode from 'vscode';

export interface SearchConfig {
  include: string[];
  exclude: string[];
  maxFileSizeMB: number;
}

export const searchSettingNames = ['search.include', 'search.exclude', 'search.maxFileSizeMB', 'modelPath'];

export function readSearchConfig(): SearchConfig {
  const c = vscode.workspace.getConfiguration('clinicalModernbert.search');
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);
  const max = c.get<number>('maxFileSizeMB', 5);
  return {
    include: list(c.get('include')),
    exclude: list(c.get('exclude')),
    maxFileSizeMB: Number.isFinite(max) && max > 0 ? max : 5,
  };
}
