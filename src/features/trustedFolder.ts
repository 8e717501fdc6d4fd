/**
 * Which folder a folder-valued setting (model folder, ICD code sets) may name
 * in an untrusted workspace. Opening a folder must not make the extension load,
 * and so parse, files that folder supplies: in an untrusted workspace a value
 * from workspace settings is ignored, and so is any folder inside a workspace
 * folder, wherever the setting comes from. Pure: no 'vscode', no file system.
 */
import * as path from 'node:path';

/** The layers of one setting, as vscode's `WorkspaceConfiguration.inspect()` reports them. */
export interface SettingLayers {
  defaultValue?: string;
  globalValue?: string;
  workspaceValue?: string;
  workspaceFolderValue?: string;
}

export interface TrustedFolder {
  /** the folder to use; '' when none is set or the configured one is ignored */
  path: string;
  /** why a configured folder is not used, for a one-time notice; absent when it is used */
  ignoredReason?: string;
}

export interface TrustInputs {
  /** what the folder is, for the notice: "model folder", "ICD code set folder" */
  what: string;
  layers: SettingLayers;
  trusted: boolean;
  /** absolute paths of the workspace folders */
  workspaceFolders: readonly string[];
  /** resolves symbolic links where the path exists (fs.realpathSync); identity by default */
  realpath?: (p: string) => string;
  /**
   * True when a workspace settings file names the setting. In an untrusted
   * workspace VS Code hides a restricted setting's workspace value from
   * inspect(), so only the files tell that the workspace tried to set it.
   */
  namedByWorkspaceFiles?: boolean;
}

function clean(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** True when `p` (absolute) is one of `folders` or lies below one. */
export function isInside(p: string, folders: readonly string[]): boolean {
  return folders.some((f) => {
    const rel = path.relative(f, p);
    return samePath(path.resolve(f), path.resolve(p)) || (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * The folder to use. Trusted: the effective value (folder over workspace over
 * user over default), relative paths resolved against the first workspace
 * folder. Untrusted: only the user (or default) value, and not if it points
 * into a workspace folder (a relative path always does).
 */
export function trustedFolder(input: TrustInputs): TrustedFolder {
  const { layers, workspaceFolders } = input;
  const realpath = input.realpath ?? ((p: string) => p);
  const fromWorkspace = clean(layers.workspaceFolderValue) ?? clean(layers.workspaceValue);
  const fromUser = clean(layers.globalValue) ?? clean(layers.defaultValue);
  const resolve = (p: string) => (path.isAbsolute(p) || workspaceFolders.length === 0 ? path.resolve(p) : path.resolve(workspaceFolders[0]!, p));

  if (input.trusted) {
    const v = fromWorkspace ?? fromUser;
    return { path: v ? resolve(v) : '' };
  }

  const reasons: string[] = [];
  if ((fromWorkspace !== undefined && fromWorkspace !== fromUser) || (fromWorkspace === undefined && input.namedByWorkspaceFiles)) {
    reasons.push(`This workspace is not trusted, so the ${input.what} set in its workspace settings is ignored. Trust the workspace to use it.`);
  }
  if (fromUser === undefined) return reasons.length ? { path: '', ignoredReason: reasons[0] } : { path: '' };

  const candidate = path.isAbsolute(fromUser) ? path.resolve(fromUser) : undefined;
  const folders = workspaceFolders.map((f) => path.resolve(f));
  const inside =
    candidate === undefined
      ? workspaceFolders.length > 0 // a relative path names a folder in the workspace
      : isInside(candidate, folders) || isInside(realpath(candidate), folders.map(realpath));
  if (inside) {
    return {
      path: '',
      ignoredReason: `This workspace is not trusted, so the ${input.what} ${candidate ?? fromUser} inside it is ignored. Trust the workspace to use it.`,
    };
  }
  return reasons.length ? { path: candidate ?? path.resolve(fromUser), ignoredReason: reasons[0] } : { path: candidate ?? path.resolve(fromUser) };
}

/** The layers of a list-valued setting (the search include/exclude patterns). */
export interface ListSettingLayers {
  defaultValue?: readonly string[];
  globalValue?: readonly string[];
  workspaceValue?: readonly string[];
  workspaceFolderValue?: readonly string[];
}

export interface TrustedList {
  value: string[];
  /** why the workspace's value is not used, for a one-time notice */
  ignoredReason?: string;
}

/**
 * The value a restricted list setting takes. Trusted: the effective value
 * (folder over workspace over user over default). Untrusted: the user value or
 * the default; a value from workspace settings is ignored with a reason, so a
 * folder cannot decide which of the user's files are read into the index.
 */
export function trustedList(input: { what: string; layers: ListSettingLayers; trusted: boolean; namedByWorkspaceFiles?: boolean }): TrustedList {
  const { layers } = input;
  const fromWorkspace = layers.workspaceFolderValue ?? layers.workspaceValue;
  const fromUser = layers.globalValue ?? layers.defaultValue ?? [];
  if (input.trusted) return { value: [...(fromWorkspace ?? fromUser)] };
  const differs = fromWorkspace !== undefined && JSON.stringify(fromWorkspace) !== JSON.stringify(fromUser);
  if (differs || (fromWorkspace === undefined && input.namedByWorkspaceFiles)) {
    return { value: [...fromUser], ignoredReason: `This workspace is not trusted, so the ${input.what} set in its workspace settings are ignored. Trust the workspace to use them.` };
  }
  return { value: [...fromUser] };
}
