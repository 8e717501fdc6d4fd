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
import { registerEntityFeatures } from './features/entities';
import { registerClassifyFeatures } from './features/classify';
import { registerIcdFeatures } from './features/icd';

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): void {
  ctx = new Ctx(context);
  const models = new ModelManager(ctx);
  ctx.push(models, createStatusBar(models));
  registerModelCommands(ctx, models);
  ctx.ensureModel = () => models.ensureLoaded();
  const entities = registerEntityFeatures(ctx);
  registerClassifyFeatures(ctx);
  registerIcdFeatures(ctx);
  ctx.push(
    models.onDidChange((s) => {
      if (s.kind === 'loaded') entities.refresh();
    }),
  );
  ctx.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'modelPath', 'executionProvider', 'windowTokens', 'windowStride', 'batchSize', 'threads', 'pooling')) models.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => models.refresh()),
  );
  ctx.log('info', 'Clinical ModernBERT activated.');
}

export async function deactivate(): Promise<void> {
  ctx?.dispose();
  ctx = undefined;
}
