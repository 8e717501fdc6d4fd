/**
 * One typed view of the extension's settings. Features read settings here and
 * nowhere else.
 */
import * as vscode from 'vscode';
import { defaultEngineSettings, precisionSettings, type EngineSettings, type Pooling, type PrecisionSetting, type ProviderSetting } from './engine/coreProtocol';
import type { MergeMode } from './engine/tasks/protocol';
import { clampThreads } from './engine/model/threads';
import { ALL_SYSTEMS, type IcdSystem } from './engine/icd/systems';

export const SECTION = 'clinicalModernbert';

export interface Config {
  /** '' when unset */
  modelPath: string;
  engine: EngineSettings;
  /** settings that were out of range and what was used instead, for the log */
  notices: string[];
}

export function readConfig(): Config {
  const c = vscode.workspace.getConfiguration(SECTION);
  const threads = clampThreads(c.get<unknown>('threads', defaultEngineSettings.threads), `${SECTION}.threads`);
  const precision = c.get<string>('precision', 'auto');
  const notices = threads.notice ? [threads.notice] : [];
  if (!precisionSettings.includes(precision as PrecisionSetting)) notices.push(`${SECTION}.precision "${precision}" is not auto, fp32, fp16 or int8; using auto.`);
  const batchTokens = c.get<number>('batchTokens', defaultEngineSettings.batchTokens!);
  return {
    notices,
    modelPath: c.get<string>('modelPath', '').trim(),
    engine: {
      executionProvider: c.get<ProviderSetting>('executionProvider', defaultEngineSettings.executionProvider),
      windowTokens: c.get<number>('windowTokens', defaultEngineSettings.windowTokens),
      windowStride: c.get<number>('windowStride', defaultEngineSettings.windowStride),
      batchSize: c.get<number>('batchSize', defaultEngineSettings.batchSize),
      batchTokens: Number.isInteger(batchTokens) && batchTokens > 0 ? batchTokens : defaultEngineSettings.batchTokens,
      threads: threads.threads,
      precision: precisionSettings.includes(precision as PrecisionSetting) ? (precision as PrecisionSetting) : 'auto',
      pooling: c.get<Pooling>('pooling', defaultEngineSettings.pooling),
      cacheDir: '',
      tokenHead: c.get<string>('tokenHead', '').trim(),
      sequenceHead: c.get<string>('sequenceHead', '').trim(),
    },
  };
}

/**
 * Makes `name` the head entities (tokenHead) or classification (sequenceHead)
 * use: in the workspace's settings when a folder is open, else the user's.
 */
export async function useTaskHead(setting: 'tokenHead' | 'sequenceHead', name: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SECTION).update(setting, name, target);
}

/** true when a change event touches any of the given settings (names without the section). */
export function affects(e: vscode.ConfigurationChangeEvent, ...names: string[]): boolean {
  return names.some((n) => e.affectsConfiguration(`${SECTION}.${n}`));
}

// Entities and classification (clinicalModernbert.entities.*, lexiconFolder, classify.*)

export interface EntitySettings {
  enabled: boolean;
  languages: string[];
  debounceMs: number;
  merge: MergeMode;
  assertionWindow: number;
  /** '' when unset; relative paths are resolved against the first workspace folder */
  lexiconFolder: string;
  /** the built-in clinical lexicon when lexiconFolder is '' */
  defaultLexicon: boolean;
  /** notes longer than this many characters are tagged in the visible range first */
  longNoteChars: number;
  classifyStatusBar: boolean;
}

export function readEntitySettings(): EntitySettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    enabled: c.get<boolean>('entities.enabled', true),
    languages: c.get<string[]>('entities.languages', ['plaintext', 'markdown']),
    debounceMs: c.get<number>('entities.debounceMs', 300),
    merge: c.get<MergeMode>('entities.lexiconMerge', 'modelFirst'),
    assertionWindow: c.get<number>('entities.assertionWindow', 8),
    lexiconFolder: c.get<string>('lexiconFolder', '').trim(),
    defaultLexicon: c.get<boolean>('entities.defaultLexicon', true),
    longNoteChars: 20_000,
    classifyStatusBar: c.get<boolean>('classify.statusBar', false),
  };
}

// ICD code sets (clinicalModernbert.icd.*)

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
  /** the text each code is embedded as; '' means the engine's default (the pretraining template) */
  embeddingTemplate: string;
  /** systems that suggestions come from; empty: every installed system */
  suggestSystems: IcdSystem[];
  /** points on the ICD map at most (a larger system shows a fixed sample) */
  mapMaxPoints: number;
}

export function readIcdSettings(): IcdSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.icd`);
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : []);
  return {
    downloadUrls: strings(c.get('downloadUrls', DEFAULT_DOWNLOAD_URLS)),
    localFolder: c.get<string>('localFolder', '').trim(),
    languages: strings(c.get('languages', [])),
    embeddingTemplate: (c.get<string>('embeddingTemplate', '') ?? '').trim(),
    suggestSystems: strings(c.get('suggestSystems', DEFAULT_SUGGEST_SYSTEMS)).filter((s): s is IcdSystem => (ALL_SYSTEMS as readonly string[]).includes(s)),
    mapMaxPoints: clampInt(c.get<number>('mapMaxPoints', 15000), 100, 100_000, 15000),
  };
}

/** ICD-10-CM diagnoses and ICD-10-PCS procedures: what is coded today (ICD-9 for older data, by setting) */
export const DEFAULT_SUGGEST_SYSTEMS: IcdSystem[] = ['icd10cm', 'icd10pcs'];

function clampInt(v: unknown, min: number, max: number, fallback: number): number {
  const n = typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : fallback;
  return Math.max(min, Math.min(max, n));
}

// Semantic search (clinicalModernbert.search.*)

/** include/exclude are restricted in untrusted workspaces: read them with effectiveList (features/workspaceTrust.ts) */
export interface SearchConfig {
  maxFileSizeMB: number;
}

export const searchSettingNames = ['search.include', 'search.exclude', 'search.maxFileSizeMB', 'modelPath'];

export function readSearchConfig(): SearchConfig {
  const c = vscode.workspace.getConfiguration(`${SECTION}.search`);
  const max = c.get<number>('maxFileSizeMB', 5);
  return {
    maxFileSizeMB: Number.isFinite(max) && max > 0 ? max : 5,
  };
}

// Downloads: the Hugging Face endpoint, the CUDA package feed, VS Code's proxy (clinicalModernbert.hub.*, .gpu.*, http.*)

export interface NetworkSettings {
  /** '' when unset: HF_ENDPOINT, else https://huggingface.co */
  hubEndpoint: string;
  /** '' when unset: nuget.org, the feed onnxruntime-node's installer uses */
  packageFeed: string;
  /** VS Code's http.proxy; undefined: HTTPS_PROXY / HTTP_PROXY from the environment */
  proxy?: string;
  noProxy: string[];
}

export function readNetworkSettings(): NetworkSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const http = vscode.workspace.getConfiguration('http');
  const proxy = http.get<string>('proxy', '').trim();
  const noProxy = http.get<unknown>('noProxy', []);
  return {
    hubEndpoint: c.get<string>('hub.endpoint', '').trim(),
    packageFeed: c.get<string>('gpu.packageFeed', '').trim(),
    proxy: proxy || undefined,
    noProxy: Array.isArray(noProxy) ? noProxy.filter((x): x is string => typeof x === 'string') : [],
  };
}
