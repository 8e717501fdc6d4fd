/** Commands about the model itself: info, choosing a folder, converting, a diagnostic embedding. */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { SECTION } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import type { ModelManager } from './manager';
import { listDownloadedModels } from '../../engine/model/download/manifest';
import { fallbackLines } from './gpuReportText';
import { runDetails } from './runSettingsText';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function showModelInfo(ctx: Ctx, models: ModelManager): Promise<void> {
  const state = models.current();
  if (state.kind === 'none') {
    const pick = await vscode.window.showInformationMessage('Clinical ModernBERT: no model folder is set.', 'Choose Model Folder...');
    if (pick) await vscode.commands.executeCommand('clinicalModernbert.chooseModelFolder');
    return;
  }
  let info;
  try {
    info = await models.ensureLoaded();
  } catch (e) {
    const pick = await vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`, 'Choose Model Folder...', 'Show Log');
    if (pick === 'Choose Model Folder...') await vscode.commands.executeCommand('clinicalModernbert.chooseModelFolder');
    if (pick === 'Show Log') ctx.output.show();
    return;
  }
  const items: vscode.QuickPickItem[] = [
    { label: info.name, description: info.demo ? 'demo model: random weights' : info.architectures.join(', '), detail: info.path },
    { label: `Architecture: ${info.architecture}`, description: `${info.layers} layers, hidden ${info.hidden}, ${info.heads} heads, intermediate ${info.intermediate}` },
    { label: `Execution provider: ${info.provider}`, description: info.providerFailures.map((f) => `${f.provider} unavailable`).join(', '), detail: fallbackLines(info).join('; ') || undefined },
    { label: `Precision: ${info.precision ?? 'fp32'}`, description: runDetails(info) },
    { label: '$(circuit-board) Set up GPU acceleration...', description: info.provider === 'cpu' ? 'CUDA or WebGPU' : undefined },
    { label: `Vocabulary: ${info.vocabSize}`, description: `max positions ${info.maxPositions}, window ${info.windowTokens} tokens` },
    { label: `Outputs: ${info.outputs.join(', ')}`, description: info.labels.length ? `labels: ${info.labels.join(', ')}` : '' },
    { label: '$(folder-opened) Choose another model folder...', alwaysShow: true },
    { label: '$(output) Show log', alwaysShow: true },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Clinical ModernBERT: model', placeHolder: 'Model details' });
  if (pick?.label.includes('Choose another')) await vscode.commands.executeCommand('clinicalModernbert.chooseModelFolder');
  if (pick?.label.includes('Set up GPU')) await vscode.commands.executeCommand('clinicalModernbert.setUpGpu');
  if (pick?.label.includes('Show log')) ctx.output.show();
}

/** Downloaded models first, then Download and Browse: a model folder is rarely typed by hand. */
async function chooseFolder(ctx: Ctx, models: ModelManager): Promise<void> {
  const downloaded = listDownloadedModels(ctx.extension.globalStorageUri.fsPath);
  const current = models.current();
  const currentPath = current.kind === 'loaded' ? current.info.path : 'path' in current ? current.path : undefined;
  type Item = vscode.QuickPickItem & { dir?: string; repo?: string; action?: 'download' | 'browse' };
  const items: Item[] = [
    ...downloaded.map((d) => ({
      label: `$(database) ${d.repo}`,
      description: `${d.complete ? `${(d.bytes / 1e6).toFixed(0)} MB` : 'incomplete: choose to resume the download'}${d.dir === currentPath ? ' (in use)' : ''}`,
      detail: `${d.revision}${d.revision !== d.commit ? ` at ${d.commit.slice(0, 12)}` : ''}, ${d.dir}`,
      dir: d.complete ? d.dir : undefined,
      repo: d.repo,
      action: d.complete ? undefined : ('download' as const),
    })),
    { label: '$(cloud-download) Download a model from the Hugging Face Hub...', action: 'download', alwaysShow: true },
    { label: '$(folder-opened) Browse for a model folder...', action: 'browse', alwaysShow: true },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Clinical ModernBERT: choose a model', placeHolder: downloaded.length ? 'A downloaded model, or another' : 'Download a model, or choose a folder' });
  if (!pick) return;
  if (pick.action === 'download') {
    await vscode.commands.executeCommand('clinicalModernbert.downloadModel', pick.repo);
    return;
  }
  let dir = pick.dir;
  if (pick.action === 'browse') {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Use this model',
      title: 'Model folder (config.json, tokenizer.json, model.safetensors or onnx/model.onnx)',
    });
    dir = picked?.[0]?.fsPath;
  }
  if (!dir) return;
  await vscode.workspace.getConfiguration(SECTION).update('modelPath', dir, vscode.ConfigurationTarget.Global);
  models.refresh();
  try {
    const info = await models.ensureLoaded();
    void vscode.window.showInformationMessage(`Clinical ModernBERT: loaded ${info.name} (${info.architecture}) on ${info.provider}.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`);
  }
  ctx.log('info', 'Model folder changed.');
}

async function convert(ctx: Ctx, models: ModelManager): Promise<void> {
  const state = models.current();
  if (state.kind === 'none' || state.kind === 'loaded') {
    const target = state.kind === 'loaded' ? state.info.path : undefined;
    if (!target) {
      void vscode.window.showInformationMessage('Clinical ModernBERT: choose a model folder first.');
      return;
    }
  }
  const modelPath = state.kind === 'loaded' ? state.info.path : 'path' in state ? state.path : '';
  try {
    const r = await withCancellableProgress('Clinical ModernBERT: converting to ONNX', (signal, report) =>
      ctx.client.request('model.convert', { path: modelPath, settings: ctx.config().engine, force: true }, { signal, onProgress: report }),
    );
    void vscode.window.showInformationMessage(`Clinical ModernBERT: ONNX model written to ${r.onnxPath}.`);
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') return;
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`);
  }
}

/** A diagnostic: embeds the selection and reports dimensions and timing (never the text). */
async function embedSelection(ctx: Ctx, models: ModelManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Clinical ModernBERT: open a note first.');
    return;
  }
  const text = editor.selection.isEmpty ? editor.document.getText() : editor.document.getText(editor.selection);
  try {
    await models.ensureLoaded();
    const t0 = Date.now();
    const r = await ctx.client.request('embed', { texts: [text] });
    const ms = Date.now() - t0;
    const v = r.embeddings[0];
    const preview = Array.from(v.subarray(0, 4), (x) => x.toFixed(4)).join(', ');
    ctx.log('info', `Embedded ${r.tokens[0]} tokens in ${ms} ms (dimension ${r.dims}).`);
    void vscode.window.showInformationMessage(`Clinical ModernBERT: ${r.tokens[0]} tokens -> ${r.dims}-dimensional embedding [${preview}, ...] in ${ms} ms.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`);
  }
}

export function registerModelCommands(ctx: Ctx, models: ModelManager): void {
  ctx.push(
    vscode.commands.registerCommand('clinicalModernbert.showModelInfo', () => showModelInfo(ctx, models)),
    vscode.commands.registerCommand('clinicalModernbert.chooseModelFolder', () => chooseFolder(ctx, models)),
    vscode.commands.registerCommand('clinicalModernbert.convertModel', () => convert(ctx, models)),
    vscode.commands.registerCommand('clinicalModernbert.embedSelection', () => embedSelection(ctx, models)),
    vscode.commands.registerCommand('clinicalModernbert.restartEngine', async () => {
      await ctx.client.restart();
      models.refresh();
      void vscode.window.showInformationMessage('Clinical ModernBERT: engine restarted; the model loads again on next use.');
    }),
    vscode.commands.registerCommand('clinicalModernbert.showLog', () => ctx.output.show()),
  );
}
