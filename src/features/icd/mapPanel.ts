/**
 * "Show ICD Map": a webview scatter of the loaded model's code embeddings
 * projected to 2D (the engine computes and caches the projection), coloured by
 * chapter, with the selected text placed among its nearest codes, and a
 * second map of another model beside it to compare. The webview only draws;
 * data come from the engine through here.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { readIcdSettings } from '../../config';
import { EngineError } from '../../engine/errors';
import type { CodeMapData, IcdSystem, StoredMapInfo } from '../../engine/icd/protocol';
import { codeInsertion } from './diagnosisLine';
import { BUILD_EMBEDDINGS_COMMAND } from './suggestCodes';
import { pageAssets, webviewPage } from '../webviewPage';

export const MAP_COMMAND = 'clinicalModernbert.icd.showMap';
const VIEW_TYPE = 'clinicalModernbert.icdMap';

type FromView =
  | { type: 'ready' }
  | { type: 'system'; system: IcdSystem }
  | { type: 'locate' }
  | { type: 'compare' }
  | { type: 'closeCompare' }
  | { type: 'insert'; code: string }
  | { type: 'build' };

/** the map as the webview gets it: typed arrays as plain arrays (webview messages are JSON) */
function forView(m: CodeMapData) {
  return {
    modelKey: m.modelKey,
    modelName: m.modelName,
    demo: m.demo,
    system: m.system,
    systemName: m.systemName,
    builtAt: m.builtAt,
    xy: Array.from(m.xy, (v) => Math.round(v * 1000) / 1000),
    codes: m.codes,
    descriptions: m.descriptions,
    billable: Array.from(m.billable),
    chapters: Array.from(m.chapters),
    legend: m.legend,
    total: m.total,
  };
}

export class IcdMapPanel {
  private static current: IcdMapPanel | undefined;
  private system: IcdSystem | undefined;
  private compareKey: string | undefined;
  private inflight: AbortController | undefined;
  /** the editor the map was opened from: its selection is placed, and codes are inserted there */
  private editor: vscode.TextEditor | undefined;

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
  ) {
    panel.onDidDispose(() => {
      this.inflight?.abort();
      IcdMapPanel.current = undefined;
    });
    panel.webview.onDidReceiveMessage((m: FromView) => void this.onMessage(m));
  }

  static show(ctx: Ctx): void {
    const editor = vscode.window.activeTextEditor;
    if (IcdMapPanel.current) {
      IcdMapPanel.current.editor = editor ?? IcdMapPanel.current.editor;
      IcdMapPanel.current.panel.reveal(vscode.ViewColumn.Beside, true);
      void IcdMapPanel.current.locate();
      return;
    }
    const media = vscode.Uri.joinPath(ctx.extension.extensionUri, 'media', 'icdMap');
    // the note keeps the focus: its selection is what the map places
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'ICD Map', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: true });
    const p = new IcdMapPanel(ctx, panel);
    p.editor = editor;
    panel.webview.html = html(panel.webview, media);
    IcdMapPanel.current = p;
  }

  /** the loaded model's embeddings changed: draw again */
  static refresh(): void {
    void IcdMapPanel.current?.load();
  }

  private post(m: unknown): void {
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: FromView): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.load();
        return;
      case 'system':
        this.system = m.system;
        await this.load();
        return;
      case 'locate':
        this.editor = vscode.window.activeTextEditor ?? this.editor;
        await this.locate();
        return;
      case 'compare':
        await this.pickComparison();
        return;
      case 'closeCompare':
        this.compareKey = undefined;
        return;
      case 'insert':
        await this.insert(String(m.code));
        return;
      case 'build':
        await vscode.commands.executeCommand(BUILD_EMBEDDINGS_COMMAND);
        return;
    }
  }

  private async load(): Promise<void> {
    this.inflight?.abort();
    const controller = new AbortController();
    this.inflight = controller;
    const settings = readIcdSettings();
    this.post({ type: 'busy', message: 'Loading the model' });
    try {
      await this.ctx.ensureModel();
      const map = await this.ctx.client.request(
        'icd.map',
        { system: this.system, maxPoints: settings.mapMaxPoints, template: settings.embeddingTemplate || undefined },
        { signal: controller.signal, onProgress: (p) => this.post({ type: 'busy', message: p.message, fraction: p.fraction }) },
      );
      if (controller.signal.aborted) return;
      this.system = map.system;
      const systems = (await this.ctx.client.request('icd.status', {})).systems.map((s) => ({ system: s.system, name: s.name }));
      this.post({ type: 'map', side: 0, map: forView(map), systems });
      this.ctx.log('info', `ICD map: ${map.codes.length} ${map.systemName} codes of ${map.modelName}${map.computed ? ' projected' : ' from the cache'}.`);
      if (this.compareKey) await this.loadComparison(this.compareKey);
      await this.locate();
    } catch (e) {
      if (controller.signal.aborted || (e instanceof EngineError && e.code === 'cancelled')) return;
      const message = e instanceof Error ? e.message : String(e);
      this.ctx.log('warn', `ICD map: ${message}`);
      this.post({ type: 'error', message, build: /Build ICD Code Embeddings/.test(message) });
    }
  }

  /** places the editor's selected text on the map */
  private async locate(): Promise<void> {
    const editor = this.editor;
    const text = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
    if (!text.trim() || !this.system) {
      this.post({ type: 'locate', location: null });
      return;
    }
    try {
      const location = await this.ctx.client.request('icd.mapLocate', { text, system: this.system, maxPoints: readIcdSettings().mapMaxPoints, template: readIcdSettings().embeddingTemplate || undefined });
      this.post({ type: 'locate', location });
    } catch (e) {
      this.post({ type: 'locate', location: null, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private async pickComparison(): Promise<void> {
    let maps: StoredMapInfo[];
    try {
      maps = await this.ctx.client.request('icd.maps', {});
    } catch (e) {
      void vscode.window.showErrorMessage(`ICD map: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const others = maps.filter((m) => !m.current && m.system === this.system);
    if (!others.length) {
      void vscode.window.showInformationMessage(
        `No other model has a stored ${this.system ? 'map of this code system' : 'ICD map'}. Load another model, open its ICD map once, then load this one again to compare them.`,
      );
      return;
    }
    const pick = await vscode.window.showQuickPick(
      others.map((m) => ({ label: m.modelName, description: `${m.points.toLocaleString('en-US')} points${m.demo ? ' · demo model' : ''}`, detail: m.modelPath, key: m.modelKey })),
      { title: 'Compare with the ICD map of another model' },
    );
    if (!pick) return;
    this.compareKey = pick.key;
    await this.loadComparison(pick.key);
  }

  private async loadComparison(key: string): Promise<void> {
    try {
      const map = await this.ctx.client.request('icd.map', { system: this.system, modelKey: key });
      this.post({ type: 'map', side: 1, map: forView(map) });
    } catch (e) {
      this.post({ type: 'error', side: 1, message: e instanceof Error ? e.message : String(e) });
    }
  }

  private async insert(display: string): Promise<void> {
    const editor = this.editor && !this.editor.document.isClosed ? this.editor : vscode.window.visibleTextEditors[0];
    if (!editor) {
      await vscode.env.clipboard.writeText(display);
      void vscode.window.showInformationMessage(`${display} copied to the clipboard (no editor is open).`);
      return;
    }
    const at = editor.selection.end;
    const text = codeInsertion(editor.document.lineAt(at.line).text.slice(0, at.character), display);
    await editor.edit((b) => b.insert(at, text));
  }
}

function html(webview: vscode.Webview, media: vscode.Uri): string {
  return webviewPage(pageAssets(webview, vscode.Uri.joinPath(media, 'map.css'), vscode.Uri.joinPath(media, 'map.js')), {
    title: 'ICD Map',
    body: `<header id="toolbar">
  <select id="system" aria-label="Code system"></select>
  <input id="search" type="search" placeholder="Find codes: E11, diabetes" aria-label="Find codes on the map" autocomplete="off" spellcheck="false">
  <button id="locate" type="button" title="Place the text selected in the editor on the map">Place selection</button>
  <button id="compare" type="button" title="Show the map of another model beside this one">Compare with another model...</button>
  <span id="status" role="status" aria-live="polite"></span>
</header>
<div id="notice" role="alert" hidden></div>
<main id="panes"></main>`,
  });
}
