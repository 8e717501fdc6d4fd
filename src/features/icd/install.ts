/**
 * "Install ICD Code Sets" (download, with progress and cancel) and
 * "Use Local ICD Code Set Folder..." (sites without internet).
 */
import { effectiveCodesetsFolder, noticeOnce } from '../workspaceTrust';
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import type { IcdInstallSource, IcdStatus } from '../../engine/icd/protocol';
import { SECTION, readIcdSettings } from '../../config';

function summary(s: IcdStatus): string {
  return s.systems.map((x) => `${x.name} ${x.codes.toLocaleString('en-US')}`).join(', ');
}

/** Runs an install with a cancellable progress notification; the previous set stays usable throughout. */
export async function installCodeSets(ctx: Ctx, source: IcdInstallSource, onInstalled: () => void): Promise<IcdStatus | undefined> {
  const title = source.kind === 'download' ? 'Installing ICD code sets' : 'Installing ICD code sets from a folder';
  try {
    const status = await withCancellableProgress(title, (signal, report) => ctx.client.request('icd.install', source, { signal, onProgress: report }));
    onInstalled();
    ctx.log('info', `ICD code sets installed: ${summary(status)}.`);
    for (const w of status.warnings ?? []) ctx.log('warn', w);
    const more = status.warnings?.length ? ` ${status.warnings.length} warning(s) in the log.` : '';
    void vscode.window.showInformationMessage(`ICD code sets installed: ${summary(status)}.${more}`);
    return status;
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') {
      void vscode.window.showInformationMessage('ICD code set installation cancelled; the previous set (if any) is still in use.');
      return undefined;
    }
    const message = e instanceof Error ? e.message : String(e);
    ctx.log('error', `ICD code set installation failed: ${message}`);
    void vscode.window.showErrorMessage(`ICD code sets were not installed: ${message}`);
    return undefined;
  }
}

export function installCommand(ctx: Ctx, onInstalled: () => void): () => Promise<void> {
  return async () => {
    const { downloadUrls } = readIcdSettings();
    await installCodeSets(ctx, { kind: 'download', urls: downloadUrls }, onInstalled);
  };
}

export function useLocalFolderCommand(ctx: Ctx, onInstalled: () => void): () => Promise<void> {
  return async () => {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Use ICD Code Set Folder',
      title: 'Folder with the official ICD files (e.g. icd10cm_order_2027.txt, icd10pcs_order_2027.txt, CMS32_DESC_LONG_DX.txt)',
    });
    const folder = picked?.[0]?.fsPath;
    if (!folder) return;
    const status = await installCodeSets(ctx, { kind: 'folder', path: folder }, onInstalled);
    if (status) await vscode.workspace.getConfiguration(`${SECTION}.icd`).update('localFolder', folder, vscode.ConfigurationTarget.Global);
  };
}

/** When the localFolder setting names a folder that is not the installed source, install from it. */
export async function syncLocalFolder(ctx: Ctx, onInstalled: () => void): Promise<void> {
  // in an untrusted workspace a folder named by the workspace is not loaded (workspaceTrust.ts)
  const localFolder = noticeOnce(effectiveCodesetsFolder(), (m) => ctx.log('warn', m)).path;
  if (!localFolder) return;
  try {
    const status = await ctx.client.request('icd.status', {});
    if (status.installed && status.source === localFolder) return;
  } catch (e) {
    ctx.log('warn', `ICD status unavailable: ${(e as Error).message}`);
    return;
  }
  await installCodeSets(ctx, { kind: 'folder', path: localFolder }, onInstalled);
}
