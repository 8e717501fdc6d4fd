/**
 * The "Clinical Search" webview view: a query box and results with snippets.
 * The webview only renders; searching and opening happen here.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { NoteResult, SearchResponse } from '../../engine/index/search';
import { pageAssets, webviewPage } from '../webviewPage';
import type { IndexRunner } from './indexRunner';

export const SEARCH_VIEW_ID = 'clinicalModernbert.searchView';

/** a result as the webview gets it */
interface ViewResult {
  id: number;
  path: string;
  folder: string;
  snippet: string;
  highlights: Array<[number, number]>;
  rankers: string[];
  score: number;
}

type FromView = { type: 'ready' } | { type: 'search'; query: string; glob?: string } | { type: 'open'; id: number } | { type: 'rebuild' };

export class SearchViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private pendingQuery: string | undefined;
  private results: Array<{ folder: vscode.WorkspaceFolder; r: NoteResult }> = [];
  private inflight: AbortController | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly runner: IndexRunner,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', 'search');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    view.webview.onDidReceiveMessage((m: FromView) => void this.onMessage(m));
    view.onDidDispose(() => (this.view = undefined));
  }

  /** focuses the view, optionally with a query to run */
  async show(query?: string): Promise<void> {
    this.pendingQuery = query;
    await vscode.commands.executeCommand(`${SEARCH_VIEW_ID}.focus`);
    if (this.view && query !== undefined) {
      void this.view.webview.postMessage({ type: 'setQuery', query });
      this.pendingQuery = undefined;
      await this.search(query);
    }
  }

  /** shows notes similar to a text (vectors only) */
  async showSimilar(text: string, source: vscode.Uri | undefined, title: string): Promise<void> {
    await vscode.commands.executeCommand(`${SEARCH_VIEW_ID}.focus`);
    await this.runner.ensureIndexed();
    await this.ctx.ensureModel().catch(() => undefined);
    const run = this.begin();
    try {
      const all = await Promise.all(
        this.runner.folders().map(async (folder) => {
          const excludePath = source && vscode.workspace.getWorkspaceFolder(source)?.uri.toString() === folder.uri.toString() ? source.fsPath : undefined;
          const res = await this.ctx.client.request(
            'index.similar',
            { folder: folder.uri.fsPath, dbPath: this.runner.dbPath(folder), text, excludePath },
            { signal: run.signal },
          );
          return { folder, res };
        }),
      );
      this.publish(all, title);
    } catch (e) {
      this.fail(e);
    }
  }

  private async onMessage(m: FromView): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (this.pendingQuery !== undefined) {
          void this.view?.webview.postMessage({ type: 'setQuery', query: this.pendingQuery });
          const q = this.pendingQuery;
          this.pendingQuery = undefined;
          await this.search(q);
        }
        return;
      case 'search':
        return this.search(String(m.query ?? ''), typeof m.glob === 'string' ? m.glob : undefined);
      case 'open':
        return this.open(Number(m.id));
      case 'rebuild':
        await vscode.commands.executeCommand('clinicalModernbert.rebuildSearchIndex');
        return;
    }
  }

  private async search(query: string, glob?: string): Promise<void> {
    if (!query.trim()) {
      this.results = [];
      void this.view?.webview.postMessage({ type: 'results', title: '', results: [], lexicalOnly: false });
      return;
    }
    await this.runner.ensureIndexed();
    await this.ctx.ensureModel().catch(() => undefined); // no model: the engine searches by words and says so
    const run = this.begin();
    try {
      const all = await Promise.all(
        this.runner.folders().map(async (folder) => ({
          folder,
          res: await this.ctx.client.request(
            'index.search',
            { folder: folder.uri.fsPath, dbPath: this.runner.dbPath(folder), query, k: 30, pathGlob: glob?.trim() || undefined },
            { signal: run.signal },
          ),
        })),
      );
      this.publish(all, '');
    } catch (e) {
      this.fail(e);
    }
  }

  private begin(): AbortController {
    this.inflight?.abort();
    const ac = new AbortController();
    this.inflight = ac;
    void this.view?.webview.postMessage({ type: 'busy' });
    return ac;
  }

  private publish(all: Array<{ folder: vscode.WorkspaceFolder; res: SearchResponse }>, title: string): void {
    this.results = all.flatMap(({ folder, res }) => res.results.map((r) => ({ folder, r }))).sort((a, b) => b.r.score - a.r.score);
    const lexical = all.find((x) => x.res.lexicalOnly);
    const results: ViewResult[] = this.results.map(({ folder, r }, id) => ({
      id,
      path: r.path,
      folder: all.length > 1 ? folder.name : '',
      snippet: r.snippet,
      highlights: r.highlights,
      rankers: r.rankers,
      score: r.score,
    }));
    void this.view?.webview.postMessage({ type: 'results', title, results, lexicalOnly: !!lexical, reason: lexical?.res.reason });
  }

  private fail(e: unknown): void {
    if ((e as { code?: string }).code === 'cancelled') return;
    const message = e instanceof Error ? e.message : String(e);
    this.ctx.log('error', `Clinical Search: ${message}`);
    void this.view?.webview.postMessage({ type: 'error', message });
  }

  /** opens the note with the passage selected */
  private async open(id: number): Promise<void> {
    const hit = this.results[id];
    if (!hit) return;
    const uri = vscode.Uri.joinPath(hit.folder.uri, ...hit.r.path.split('/'));
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const range = new vscode.Range(doc.positionAt(hit.r.passage.start), doc.positionAt(hit.r.passage.end));
      await vscode.window.showTextDocument(doc, { selection: range, preview: true });
      vscode.window.activeTextEditor?.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      void vscode.window.showWarningMessage(`Clinical Search: cannot open ${hit.r.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    return webviewPage(pageAssets(webview, vscode.Uri.joinPath(media, 'search.css'), vscode.Uri.joinPath(media, 'search.js')), {
      title: 'Clinical Search',
      body: `<form id="form" role="search">
  <input id="query" type="search" placeholder="Search notes by meaning and words" aria-label="Search notes" autocomplete="off" spellcheck="false">
  <input id="glob" type="text" placeholder="files to include, e.g. cardiology/**" aria-label="Files to include" autocomplete="off" spellcheck="false">
</form>
<div id="notice" role="status" hidden></div>
<div id="status" role="status" aria-live="polite"></div>
<ol id="results" role="listbox" aria-label="Search results" tabindex="0"></ol>`,
    });
  }
}
