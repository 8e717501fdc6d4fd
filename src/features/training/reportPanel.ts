/**
 * The training report in a webview panel (one per head): figures, curves,
 * per-label table and confusion matrix from the head's metrics.json
 * (reportHtml.ts), with buttons to use the head, open the report as Markdown,
 * or open metrics.json.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TrainingMetrics } from '../../engine/train/protocol';
import { pageAssets } from '../webviewPage';
import { reportHtml } from './reportHtml';

export interface ReportActions {
  use(): Promise<void>;
  markdown(): Promise<void>;
  metricsFile: string;
  inUse(): boolean;
}

const panels = new Map<string, vscode.WebviewPanel>();

export function showReport(extensionUri: vscode.Uri, metrics: TrainingMetrics, actions: ReportActions, warnings: readonly string[] = []): vscode.WebviewPanel {
  const key = actions.metricsFile;
  const media = vscode.Uri.joinPath(extensionUri, 'media', 'training');
  let panel = panels.get(key);
  if (panel) panel.reveal(vscode.ViewColumn.Active);
  else {
    panel = vscode.window.createWebviewPanel('clinicalModernbert.trainingReport', `Training report: ${metrics.head}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    panels.set(key, panel);
    const p = panel;
    p.onDidDispose(() => panels.delete(key));
    p.webview.onDidReceiveMessage(async (m: { command?: string }) => {
      try {
        if (m.command === 'use') {
          await actions.use();
          void p.webview.postMessage({ command: 'inUse', text: `In use for ${metrics.task === 'ner' ? 'entities' : 'note classification'}` });
        } else if (m.command === 'markdown') await actions.markdown();
        else if (m.command === 'metrics') await vscode.window.showTextDocument(vscode.Uri.file(actions.metricsFile), { preview: true });
      } catch (e) {
        void vscode.window.showErrorMessage(`Clinical ModernBERT: ${(e as Error).message}`);
      }
    });
  }
  panel.webview.html = reportHtml(metrics, pageAssets(panel.webview, vscode.Uri.joinPath(media, 'report.css'), vscode.Uri.joinPath(media, 'report.js')), { inUse: actions.inUse(), warnings });
  panel.title = `Training report: ${path.basename(metrics.head)}`;
  return panel;
}
