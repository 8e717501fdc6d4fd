/**
 * Activation builds the context and registers features; it loads nothing heavy
 * (the model loads on first use, in the engine worker).
 */
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import { affects } from './config';
import { ModelManager } from './features/model/manager';
import { createStatusBar } from './features/model/statusBar';
import { registerModelCommands } from './features/model/commands';
import { registerDownloadCommands } from './features/model/download';
import { registerGpuCommands } from './features/model/gpu';
import { registerFinetuneFeatures } from './features/finetune';
import { registerEntityFeatures } from './features/entities';
import { registerClassifyFeatures } from './features/classify';
import { registerIcdFeatures } from './features/icd';
import { describeIndexState, registerSearchFeatures } from './features/search';
import { registerLabelFeatures } from './features/labels';
import { registerTrainingFeatures } from './features/training';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  ctx = new Ctx(context);
  const models = new ModelManager(ctx);
  ctx.push(models, createStatusBar(models));
  registerModelCommands(ctx, models);
  registerDownloadCommands(ctx, models);
  registerGpuCommands(ctx, models);
  ctx.ensureModel = () => models.ensureLoaded();
  const entities = registerEntityFeatures(ctx);
  registerClassifyFeatures(ctx);
  const labels = registerLabelFeatures(ctx, entities);
  registerTrainingFeatures(ctx, models, labels);
  registerFinetuneFeatures(ctx, models, labels);
  registerIcdFeatures(ctx);
  const search = registerSearchFeatures(ctx);
  const indexItem = vscode.window.createStatusBarItem('clinicalModernbert.indexStatus', vscode.StatusBarAlignment.Right, 99);
  indexItem.name = 'Clinical Search index';
  indexItem.command = 'clinicalModernbert.searchNotes';
  const showIndex = () => {
    const d = describeIndexState(search.indexState.state);
    indexItem.text = d.text;
    indexItem.tooltip = d.tooltip;
  };
  showIndex();
  indexItem.show();
  ctx.push(indexItem, search.indexState.onDidChange(showIndex));
  ctx.push(
    models.onDidChange((s) => {
      if (s.kind === 'loaded') entities.refresh();
    }),
  );
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'modelPath', 'executionProvider', 'windowTokens', 'windowStride', 'batchSize', 'batchTokens', 'precision', 'threads', 'pooling', 'tokenHead', 'sequenceHead')) models.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => models.refresh()),
  );
  ctx.log('info', 'Clinical ModernBERT activated.');
}

export async function deactivate(): Promise<void> {
  ctx?.dispose();
  ctx = undefined;
}
