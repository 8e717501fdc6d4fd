/**
 * "Clinical: Download Model...": a model from the Hugging Face Hub into the
 * extension's storage, with progress and cancel, ending with the model loaded.
 * "Set / Clear Hugging Face Token": a token for gated or private repositories,
 * kept in VS Code's secret storage (never in settings or logs).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { SECTION, readNetworkSettings } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import { listDownloadedModels } from '../../engine/model/download/manifest';
import type { DownloadModelResult } from '../../engine/model/download/protocol';
import type { ModelManager } from './manager';
import { parseRepoInput } from './repoInput';

const TOKEN_KEY = 'clinicalModernbert.huggingFaceToken';

/** The models users ask for first; any other repository id can be typed. */
export const SUGGESTED_MODELS = [
  { repo: 'Simonlee711/Clinical_ModernBERT', title: 'Clinical ModernBERT', detail: 'ModernBERT pretrained on clinical text (PubMed, MIMIC-IV notes, medical codes); about 600 MB' },
  { repo: 'emilyalsentzer/Bio_ClinicalBERT', title: 'Bio+Clinical BERT', detail: 'BERT-base further trained on MIMIC-III notes; about 440 MB (refused if the repository offers only pytorch_model.bin)' },
  { repo: 'answerdotai/ModernBERT-base', title: 'ModernBERT base', detail: 'general-domain ModernBERT, 8k context; about 600 MB' },
];

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} MB`;
}

async function pickRepository(ctx: Ctx): Promise<{ repo: string; revision?: string } | undefined> {
  const downloaded = new Map(listDownloadedModels(ctx.extension.globalStorageUri.fsPath).map((d) => [d.repo, d]));
  const other = '$(edit) Another repository...';
  const items: vscode.QuickPickItem[] = [
    ...SUGGESTED_MODELS.map((m) => {
      const d = downloaded.get(m.repo);
      return { label: m.repo, description: `${m.title}${d ? (d.complete ? ' (downloaded: checks for updates)' : ' (partly downloaded: resumes)') : ''}`, detail: m.detail };
    }),
    { label: other, alwaysShow: true, detail: 'owner/name, optionally @revision (a branch, tag, commit or refs/pr/N)' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Clinical ModernBERT: download a model from the Hugging Face Hub', placeHolder: 'Choose a model', matchOnDetail: true });
  if (!pick) return undefined;
  if (pick.label !== other) return { repo: pick.label };
  const text = await vscode.window.showInputBox({
    title: 'Hugging Face model repository',
    prompt: 'owner/name, optionally @revision',
    placeHolder: 'Simonlee711/Clinical_ModernBERT',
    validateInput: (v) => (/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(parseRepoInput(v).repo) ? undefined : 'Use owner/name, e.g. Simonlee711/Clinical_ModernBERT'),
  });
  return text ? parseRepoInput(text) : undefined;
}

/** Downloads (or resumes) `repo`, makes it the model and loads it. Returns the result, or undefined when cancelled or failed (already told). */
export async function downloadModel(ctx: Ctx, models: ModelManager, target?: { repo: string; revision?: string }): Promise<DownloadModelResult | undefined> {
  const chosen = target ?? (await pickRepository(ctx));
  if (!chosen) return undefined;
  const net = readNetworkSettings();
  const token = await ctx.extension.secrets.get(TOKEN_KEY);
  let result: DownloadModelResult;
  try {
    result = await withCancellableProgress(`Downloading ${chosen.repo}`, (signal, report) =>
      ctx.client.request(
        'model.download',
        { repo: chosen.repo, revision: chosen.revision, endpoint: net.hubEndpoint || undefined, token, proxy: net.proxy, noProxy: net.noProxy },
        { signal, onProgress: report },
      ),
    );
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') {
      void vscode.window.showInformationMessage(`Clinical ModernBERT: the download of ${chosen.repo} was cancelled; run it again to resume where it stopped.`);
      return undefined;
    }
    ctx.log('error', `Model download failed: ${errorMessage(e)}`);
    if (e instanceof EngineError && e.code === 'auth-required') {
      const pick = await vscode.window.showErrorMessage(`Clinical ModernBERT: ${e.message}`, 'Set Hugging Face Token...', 'Open Repository Page');
      if (pick === 'Set Hugging Face Token...') {
        if (await setToken(ctx)) return downloadModel(ctx, models, chosen);
      } else if (pick === 'Open Repository Page') {
        void vscode.env.openExternal(vscode.Uri.parse(`${net.hubEndpoint || 'https://huggingface.co'}/${chosen.repo}`));
      }
      return undefined;
    }
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`);
    return undefined;
  }
  ctx.log('info', `Downloaded ${result.repo} at ${result.commit.slice(0, 12)}: ${result.files} files, ${megabytes(result.bytes)} (${megabytes(result.fetched)} fetched) in ${result.seconds.toFixed(0)} s.`);
  await vscode.workspace.getConfiguration(SECTION).update('modelPath', result.dir, vscode.ConfigurationTarget.Global);
  models.refresh();
  try {
    const info = await models.ensureLoaded();
    void vscode.window.showInformationMessage(`Clinical ModernBERT: ${result.repo} downloaded (${megabytes(result.bytes)}) and loaded on ${info.provider}.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${result.repo} was downloaded to ${result.dir}, but it did not load: ${errorMessage(e)}`);
  }
  return result;
}

async function setToken(ctx: Ctx): Promise<boolean> {
  const token = await vscode.window.showInputBox({
    title: 'Hugging Face access token',
    prompt: 'A read token from huggingface.co/settings/tokens, for gated or private models. Kept in VS Code\'s secret storage, never in settings or logs.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() && !/\s/.test(v.trim()) ? undefined : 'Paste the token (it starts with hf_)'),
  });
  if (!token) return false;
  await ctx.extension.secrets.store(TOKEN_KEY, token.trim());
  void vscode.window.showInformationMessage('Clinical ModernBERT: Hugging Face token saved in the secret storage.');
  return true;
}

export function registerDownloadCommands(ctx: Ctx, models: ModelManager): void {
  ctx.push(
    vscode.commands.registerCommand('clinicalModernbert.downloadModel', (repo?: string) => downloadModel(ctx, models, typeof repo === 'string' ? parseRepoInput(repo) : undefined)),
    vscode.commands.registerCommand('clinicalModernbert.setHuggingFaceToken', () => setToken(ctx)),
    vscode.commands.registerCommand('clinicalModernbert.clearHuggingFaceToken', async () => {
      await ctx.extension.secrets.delete(TOKEN_KEY);
      void vscode.window.showInformationMessage('Clinical ModernBERT: Hugging Face token removed.');
    }),
  );
}
