/**
 * "Classify This Note": label probabilities of the active note in a QuickPick,
 * and optionally the top label in the status bar. The engine aggregates long
 * notes over windows (src/engine/tasks/classify.ts).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { affects, readEntitySettings } from '../config';
import { EngineError } from '../engine/errors';
import { withCancellableProgress } from './cancellableProgress';
import type { ClassifyResult } from '../engine/tasks/protocol';

export const CLASSIFY_COMMAND = 'clinicalModernbert.classifyNote';

/** A fixed-width text bar: 20 cells, one per 5%. */
export function probabilityBar(p: number): string {
  const cells = Math.round(Math.max(0, Math.min(1, p)) * 20);
  return '█'.repeat(cells) + '░'.repeat(20 - cells);
}

function ranked(r: ClassifyResult): Array<[string, number]> {
  return Object.entries(r.scores).sort((a, b) => b[1] - a[1]);
}

export function registerClassifyFeatures(ctx: Ctx): void {
  const status = vscode.window.createStatusBarItem('clinicalModernbert.classification', vscode.StatusBarAlignment.Right, 90);
  status.name = 'Clinical note classification';
  status.command = CLASSIFY_COMMAND;
  let statusEnabled = readEntitySettings().classifyStatusBar;
  let inFlight: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let warnedNoHead = false;

  const classify = async (text: string, signal?: AbortSignal) => {
    await ctx.ensureModel();
    return ctx.client.request('classify', { text }, { signal });
  };

  const updateStatus = () => {
    clearTimeout(timer);
    inFlight?.abort();
    const editor = vscode.window.activeTextEditor;
    if (!statusEnabled || !editor || editor.document.getText().trim() === '') {
      status.hide();
      return;
    }
    const doc = editor.document;
    const version = doc.version;
    timer = setTimeout(async () => {
      const ac = new AbortController();
      inFlight = ac;
      try {
        const r = await classify(doc.getText(), ac.signal);
        if (ac.signal.aborted || doc.version !== version || vscode.window.activeTextEditor?.document !== doc) return;
        status.text = `$(tag) ${r.label} ${(r.scores[r.label]! * 100).toFixed(0)}%${r.demo ? ' (demo)' : ''}`;
        status.tooltip = ranked(r).map(([l, p]) => `${l}: ${(p * 100).toFixed(1)}%`).join('\n');
        status.show();
      } catch (e) {
        if (ac.signal.aborted || (e instanceof EngineError && e.code === 'cancelled')) return;
        status.hide();
        if (!warnedNoHead) {
          warnedNoHead = true;
          ctx.log('warn', `Note classification for the status bar: ${(e as Error).message}`);
        }
      }
    }, 1000);
  };

  ctx.push(
    status,
    { dispose: () => (clearTimeout(timer), inFlight?.abort()) },
    vscode.commands.registerCommand(CLASSIFY_COMMAND, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage('Open a note to classify it.');
        return;
      }
      const sel = editor.selection;
      const text = sel.isEmpty ? editor.document.getText() : editor.document.getText(sel);
      if (text.trim() === '') {
        void vscode.window.showInformationMessage('The note is empty: there is nothing to classify.');
        return;
      }
      try {
        const r = await withCancellableProgress('Classifying the note…', (signal) => classify(text, signal));
        const items = ranked(r).map(([label, p]): vscode.QuickPickItem => ({
          label,
          description: `${(p * 100).toFixed(1)}%`,
          detail: probabilityBar(p),
        }));
        await vscode.window.showQuickPick(items, {
          title: `${r.demo ? 'DEMO MODEL (random weights, labels are meaningless): ' : ''}Note classification${sel.isEmpty ? '' : ' (selection)'}: ${r.label}${r.windows > 1 ? ` — ${r.windows} windows, token-weighted` : ''}`,
          placeHolder: 'Label probabilities',
        });
      } catch (e) {
        if (e instanceof EngineError && e.code === 'cancelled') return;
        const message = (e as Error).message;
        // a model without a classification head is a missing capability, not a failure:
        // say how to get one, as information
        if (e instanceof EngineError && (e.code === 'unsupported-model' || e.code === 'not-loaded')) {
          ctx.log('info', `Classify: ${message}`);
          void vscode.window.showInformationMessage(`Clinical ModernBERT: ${message}`);
          return;
        }
        ctx.log('error', `Classify: ${message}`);
        void vscode.window.showErrorMessage(`Clinical ModernBERT: ${message}`);
      }
    }),
    vscode.window.onDidChangeActiveTextEditor(() => updateStatus()),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (d === vscode.window.activeTextEditor?.document) updateStatus();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, 'classify.statusBar')) return;
      statusEnabled = readEntitySettings().classifyStatusBar;
      warnedNoHead = false;
      updateStatus();
    }),
  );
  updateStatus();
}
