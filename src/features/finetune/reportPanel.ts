/**
 * The fine-tune report in a webview panel (one per output folder), redrawn as
 * the companion's progress lines arrive (at most every 1.5 s; each evaluation
 * and the end at once), with the training report's stylesheet.
 */
import * as vscode from 'vscode';
import { pageAssets } from '../webviewPage';
import { finetunePageHtml, liveActions, liveHtml, type LiveReport } from './reportHtml';

const REDRAW_MS = 1500;
const panels = new Map<string, vscode.WebviewPanel>();

export interface LivePanel {
  /** redraws soon (throttled), or now */
  update(now?: boolean): void;
}

export function showLiveReport(extensionUri: vscode.Uri, report: LiveReport, actions: { use(): Promise<void>; metricsFile: string }): LivePanel {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  let panel = panels.get(report.out);
  if (panel) panel.reveal(vscode.ViewColumn.Active, true);
  else {
    panel = vscode.window.createWebviewPanel('clinicalModernbert.finetuneReport', `Fine-tune: ${report.out.split(/[\\/]/).pop()}`, { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(media, 'training'), vscode.Uri.joinPath(media, 'finetune')],
      retainContextWhenHidden: true,
    });
    panels.set(report.out, panel);
  }
  const p = panel;
  let disposed = false;
  const subs = [
    p.onDidDispose(() => {
      disposed = true;
      panels.delete(report.out);
      for (const s of subs) s.dispose();
    }),
    p.webview.onDidReceiveMessage(async (m: { command?: string }) => {
      try {
        if (m.command === 'use') {
          await actions.use();
          report.inUse = true;
          draw();
        } else if (m.command === 'metrics') await vscode.window.showTextDocument(vscode.Uri.file(actions.metricsFile), { preview: true });
      } catch (e) {
        void vscode.window.showErrorMessage(`Clinical ModernBERT: ${(e as Error).message}`);
      }
    }),
  ];
  p.webview.html = finetunePageHtml(report, pageAssets(p.webview, vscode.Uri.joinPath(media, 'training', 'report.css'), vscode.Uri.joinPath(media, 'finetune', 'live.js')));
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  function draw(): void {
    if (disposed) return;
    last = Date.now();
    void p.webview.postMessage({ command: 'update', live: liveHtml(report), actions: liveActions(report) }).then(undefined, () => undefined);
  }
  return {
    update(now = false) {
      if (disposed) return;
      if (timer) return;
      const wait = now ? 0 : Math.max(0, REDRAW_MS - (Date.now() - last));
      timer = setTimeout(() => {
        timer = undefined;
        draw();
      }, wait);
    },
  };
}
