/**
 * Clinical Search: the search view, its commands, the file watcher that keeps
 * the index current, and the index state for the status bar.
 */
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Ctx } from '../../ctx';
import { IndexRunner } from './indexRunner';
import { describeIndexState, IndexStateTracker, type IndexState } from './indexState';
import { watchNotes } from './noteWatcher';
import { SEARCH_VIEW_ID, SearchViewProvider } from './searchView';
import { searchSettingNames } from '../../config';

export { describeIndexState, type IndexState };

export interface SearchFeatures {
  /** the index state; the status bar shows describeIndexState(state) and listens to onDidChange */
  indexState: IndexStateTracker;
}

export function registerSearchFeatures(ctx: Ctx): SearchFeatures {
  const indexState = new IndexStateTracker();
  const runner = new IndexRunner(ctx, indexState);
  const view = new SearchViewProvider(ctx, runner);

  ctx.push(
    indexState,
    vscode.window.registerWebviewViewProvider(SEARCH_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    watchNotes(runner),

    vscode.commands.registerCommand('clinicalModernbert.searchNotes', async () => {
      const editor = vscode.window.activeTextEditor;
      const selected = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection).slice(0, 500) : undefined;
      await view.show(selected);
    }),

    vscode.commands.registerCommand('clinicalModernbert.findSimilarNotes', async (uri?: vscode.Uri) => {
      let text: string;
      let source: vscode.Uri | undefined;
      const editor = vscode.window.activeTextEditor;
      if (uri instanceof vscode.Uri && uri.toString() !== editor?.document.uri.toString()) {
        const doc = await vscode.workspace.openTextDocument(uri);
        text = doc.getText();
        source = uri;
      } else if (editor) {
        text = editor.selection.isEmpty ? editor.document.getText() : editor.document.getText(editor.selection);
        source = editor.document.uri;
      } else {
        void vscode.window.showInformationMessage('Find Similar Notes works on the open note or its selected text: open a note first.');
        return;
      }
      if (!text.trim()) {
        void vscode.window.showInformationMessage('Find Similar Notes needs some text: the note or selection is empty.');
        return;
      }
      await view.showSimilar(text, source, `Similar to ${basename(source.fsPath)}`);
    }),

    vscode.commands.registerCommand('clinicalModernbert.updateSearchIndex', () => runner.updateAll({ rebuild: false, notify: true })),
    vscode.commands.registerCommand('clinicalModernbert.rebuildSearchIndex', () => runner.updateAll({ rebuild: true, notify: true })),

    vscode.commands.registerCommand('clinicalModernbert.searchIndexStats', async () => {
      const folders = runner.folders();
      if (!folders.length) {
        void vscode.window.showInformationMessage('Clinical Search needs a folder of notes: open a folder first.');
        return;
      }
      try {
        const lines: string[] = [];
        for (const f of folders) {
          const s = await ctx.client.request('index.stats', { folder: f.uri.fsPath, dbPath: runner.dbPath(f) });
          lines.push(
            `${f.name}: ${s.indexed} notes, ${s.chunks} passages, ${s.vectors} vectors${s.dims ? ` of ${s.dims} dimensions` : ''}, ${s.tokens} tokens; ` +
              `skipped ${s.skippedBinary} binary and ${s.skippedLarge} too large; ${s.empty} empty; ${s.latin1} read as Latin-1; ` +
              `${(s.bytes / 1048576).toFixed(1)} MB on disk; ${s.lexicalOnly ? 'words only' : 'words and meaning'}; last full update ${s.lastFullRun ?? 'never'}.`,
          );
        }
        void vscode.window.showInformationMessage('Clinical Search index', { modal: true, detail: lines.join('\n\n') });
      } catch (e) {
        void vscode.window.showErrorMessage(`Clinical Search: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),

    vscode.workspace.onDidChangeConfiguration((e) => {
      if (searchSettingNames.some((n) => e.affectsConfiguration(`clinicalModernbert.${n}`))) runner.invalidate();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => runner.invalidate()),
    // trust granted: the workspace's own include/exclude patterns apply from the next update
    vscode.workspace.onDidGrantWorkspaceTrust(() => runner.invalidate()),
  );
  return { indexState };
}
