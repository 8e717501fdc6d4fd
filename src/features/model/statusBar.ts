/** The status bar item: which model, on which provider, and its state. Click for details. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelManager, ModelState } from './manager';
import { fallbackLines } from './gpuReportText';
import { runLine } from './runSettingsText';

export function statusText(s: ModelState): { text: string; tooltip: string } {
  switch (s.kind) {
    case 'none':
      return { text: '$(circle-slash) CMB: no model', tooltip: `${s.reason} Click to choose a model folder.` };
    case 'idle':
      return { text: `$(pulse) CMB: ${path.basename(s.path)} (not loaded)`, tooltip: 'The model loads on first use. Click for model info.' };
    case 'loading':
      return { text: `$(sync~spin) CMB: loading ${path.basename(s.path)}`, tooltip: 'Loading the model...' };
    case 'loaded': {
      const i = s.info;
      // a beaker marks a demo (random-weight) model; the tooltip says what that means
      return {
        text: `${i.demo ? '$(beaker)' : '$(pulse)'} CMB: ${i.name} (${i.provider})`,
        tooltip: [`${i.architecture}, ${i.layers} layers, hidden ${i.hidden}, ${i.precision ?? 'fp32'} on ${i.provider}${i.demo ? '. Demo model with random weights: features that depend on model quality are off.' : ''}`, runLine(i), ...fallbackLines(i)].join('\n'),
      };
    }
    case 'error':
      return { text: `$(warning) CMB: model error`, tooltip: `${s.message} Click for details.` };
  }
}

export function createStatusBar(models: ModelManager): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('clinicalModernbert.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'Clinical ModernBERT';
  item.command = 'clinicalModernbert.showModelInfo';
  const update = (s: ModelState) => {
    const { text, tooltip } = statusText(s);
    item.text = text;
    item.tooltip = tooltip;
    item.backgroundColor = s.kind === 'error' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  update(models.current());
  item.show();
  const sub = models.onDidChange(update);
  return vscode.Disposable.from(item, sub);
}
