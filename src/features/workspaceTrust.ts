/**
 * Folder settings under workspace trust, for the features that load files from
 * a folder the user names (the model folder, the ICD code sets). The decision
 * is in trustedFolder.ts; this file reads the settings and the trust state from
 * VS Code and shows the notice once per setting and value.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { SECTION } from '../config';
import { trustedFolder, trustedList, type TrustedFolder, type TrustedList } from './trustedFolder';

/** Folder-valued settings restricted in untrusted workspaces (package.json capabilities.untrustedWorkspaces). */
export const restrictedFolderSettings = {
  modelPath: 'model folder',
  'icd.localFolder': 'ICD code set folder',
  lexiconFolder: 'lexicon folder',
} as const;

export type RestrictedFolderSetting = keyof typeof restrictedFolderSettings;

function realpath(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p; // a folder that does not exist yet cannot be a link into the workspace
  }
}

/** True when a local workspace settings file (.vscode/settings.json, the .code-workspace file) names `key`. */
function workspaceFilesName(key: string): boolean {
  const files = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  if (vscode.workspace.workspaceFile) files.push(vscode.workspace.workspaceFile);
  const pattern = new RegExp(`"${key.replace(/\./g, '\\.')}"\\s*:`);
  return files.some((uri) => {
    if (uri.scheme !== 'file') return false;
    try {
      return pattern.test(fs.readFileSync(uri.fsPath, 'utf8'));
    } catch {
      return false; // no settings file
    }
  });
}

/** The folder `setting` may name now, given the workspace's trust; '' when none. */
export function effectiveFolder(setting: RestrictedFolderSetting): TrustedFolder {
  const layers = vscode.workspace.getConfiguration(SECTION).inspect<string>(setting);
  return trustedFolder({
    what: restrictedFolderSettings[setting],
    layers: {
      defaultValue: layers?.defaultValue,
      globalValue: layers?.globalValue,
      workspaceValue: layers?.workspaceValue,
      workspaceFolderValue: layers?.workspaceFolderValue,
    },
    trusted: vscode.workspace.isTrusted,
    namedByWorkspaceFiles: !vscode.workspace.isTrusted && workspaceFilesName(`${SECTION}.${setting}`),
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    realpath,
  });
}

export function effectiveModelPath(): TrustedFolder {
  return effectiveFolder('modelPath');
}

export function effectiveCodesetsFolder(): TrustedFolder {
  return effectiveFolder('icd.localFolder');
}

/** List settings restricted in untrusted workspaces: which notes Clinical Search reads. */
export const restrictedListSettings = {
  'search.include': 'search include patterns',
  'search.exclude': 'search exclude patterns',
} as const;

export type RestrictedListSetting = keyof typeof restrictedListSettings;

/** The patterns `setting` may use now, given the workspace's trust. */
export function effectiveList(setting: RestrictedListSetting): TrustedList {
  const layers = vscode.workspace.getConfiguration(SECTION).inspect<string[]>(setting);
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : undefined);
  return trustedList({
    what: restrictedListSettings[setting],
    layers: {
      defaultValue: list(layers?.defaultValue),
      globalValue: list(layers?.globalValue),
      workspaceValue: list(layers?.workspaceValue),
      workspaceFolderValue: list(layers?.workspaceFolderValue),
    },
    trusted: vscode.workspace.isTrusted,
    namedByWorkspaceFiles: !vscode.workspace.isTrusted && workspaceFilesName(`${SECTION}.${setting}`),
  });
}

const shown = new Set<string>();

/**
 * Shows `ignoredReason` as a warning once per reason in this window (settings
 * change events re-read the settings often), with a button to manage trust.
 * Returns the folder unchanged, so callers can write `noticeOnce(effectiveModelPath())`.
 */
export function noticeOnce<T extends { ignoredReason?: string }>(folder: T, log?: (message: string) => void): T {
  const reason = folder.ignoredReason;
  if (!reason || shown.has(reason)) return folder;
  shown.add(reason);
  log?.(reason);
  const manage = 'Manage Workspace Trust';
  void vscode.window.showWarningMessage(`Clinical ModernBERT: ${reason}`, manage).then((choice) => {
    if (choice === manage) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return folder;
}
