/**
 * The ICD settings, read in one place (clinicalModernbert.icd.*).
 */
import * as vscode from 'vscode';
import { SECTION } from '../../config';

/** The official FY2027 releases (effective October 1, 2026) and the final ICD-9-CM release (v32); same as package.json. */
export const DEFAULT_DOWNLOAD_URLS = [
  'https://www.cms.gov/files/zip/2027-code-descriptions-tabular-order.zip',
  // the tabular list gives the blocks (E08-E13) between categories and chapters
  'https://www.cms.gov/files/zip/2027-code-tables-tabular-index.zip',
  'https://www.cms.gov/files/zip/2027-icd-10-pcs-order-file-long-abbreviated-titles.zip',
  'https://www.cms.gov/medicare/coding/icd9providerdiagnosticcodes/downloads/icd-9-cm-v32-master-descriptions.zip',
];

export interface IcdSettings {
  downloadUrls: string[];
  /** '' when unset */
  localFolder: string;
  /** language ids beyond plaintext and markdown */
  languages: string[];
}

export function readIcdSettings(): IcdSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.icd`);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : []);
  return {
    downloadUrls: strings(c.get('downloadUrls', DEFAULT_DOWNLOAD_URLS)),
    localFolder: c.get<string>('localFolder', '').trim(),
    languages: strings(c.get('languages', [])),
  };
}

export function icdDocumentSelector(s: IcdSettings): vscode.DocumentSelector {
  const ids = new Set(['plaintext', 'markdown', ...s.languages]);
  return [...ids].map((language) => ({ language }));
}
