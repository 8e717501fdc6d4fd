/**
 * Entity highlighting while editing notes: decorations, hover, the "Entities"
 * view, the toggle command, and the lexicon folder. Tagging runs in the engine
 * (ner.tag); this file decides when, and renders what comes back.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { affects, readEntitySettings, type EntitySettings } from '../../config';
import type { EntitySpan, TagResult } from '../../engine/tasks/protocol';
import { EntityDecorations } from './decorations';
import { entityHover, spanAt } from './entityHover';
import { EntityTree, REVEAL_COMMAND } from './entityTree';
import { TagScheduler, type TaggedDocument } from './tagScheduler';

export const TOGGLE_COMMAND = 'clinicalModernbert.toggleEntities';
export const RELOAD_LEXICON_COMMAND = 'clinicalModernbert.reloadLexicon';
export const ENTITIES_VIEW = 'clinicalModernbert.entities';

export interface EntityFeatures {
  /** tag every visible note again, e.g. after a model was loaded */
  refresh(): void;
  /** the entities of the note's current version: the last result when current, else tagged now; undefined if tagging failed */
  entitiesOf(doc: vscode.TextDocument): Promise<EntitySpan[] | undefined>;
}

interface DocResult {
  version: number;
  spans: EntitySpan[];
  notice?: string;
}

export function registerEntityFeatures(ctx: Ctx): EntityFeatures {
  let settings: EntitySettings = readEntitySettings();
  let enabled = settings.enabled;
  const results = new Map<string, DocResult>();
  const decorations = new EntityDecorations();
  const tree = new EntityTree();
  const view = vscode.window.createTreeView(ENTITIES_VIEW, { treeDataProvider: tree });
  const noticesShown = new Set<string>();
  let modelRequested = false;
  /** while the first load runs, "no model is loaded" is held back: shown only if the load fails */
  let modelLoading = false;
  let heldNotice: string | undefined;
  const showNotice = (model: string, notice: string) => {
    if (noticesShown.has(model)) return;
    noticesShown.add(model);
    void vscode.window.showInformationMessage(`Clinical ModernBERT: ${notice}`);
  };

  const wanted = (doc: vscode.TextDocument) =>
    enabled && settings.languages.includes(doc.languageId) && (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled');

  const tagged = (doc: vscode.TextDocument): TaggedDocument => ({
    key: doc.uri.toString(),
    version: () => doc.version,
    text: () => doc.getText(),
    visibleRange: () => {
      const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
      const r = editor?.visibleRanges[0];
      return r ? { start: doc.offsetAt(r.start), end: doc.offsetAt(editor!.visibleRanges.at(-1)!.end) } : undefined;
    },
  });

  const render = (doc: vscode.TextDocument) => {
    const r = results.get(doc.uri.toString());
    for (const e of vscode.window.visibleTextEditors) {
      if (e.document !== doc) continue;
      if (r && enabled) decorations.apply(e, r.spans);
      else decorations.clear(e);
    }
    if (vscode.window.activeTextEditor?.document === doc) {
      tree.show(doc, enabled && r ? r.spans : []);
      view.message = !enabled ? 'Entity highlighting is off (Clinical: Toggle Entity Highlighting).' : r?.notice;
    }
  };

  const scheduler = new TagScheduler({
    debounceMs: () => settings.debounceMs,
    longNoteChars: settings.longNoteChars,
    params: () => ({ merge: settings.merge, windowWords: settings.assertionWindow }),
    tag: (params, signal) => {
      // the first note to tag starts loading the model in the background; lexicon
      // and assertion results come at once, model entities after refresh()
      if (!modelRequested) {
        modelRequested = true;
        modelLoading = true;
        ctx.ensureModel().then(
          () => {
            modelLoading = false;
            heldNotice = undefined;
          },
          () => {
            modelLoading = false;
            if (heldNotice) showNotice('none', heldNotice);
          },
        );
      }
      return ctx.client.request('ner.tag', params, { signal });
    },
    apply: (key, result: TagResult) => {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
      if (!doc || result.version !== doc.version) return;
      results.set(key, { version: doc.version, spans: result.spans, notice: result.notice });
      render(doc);
      if (result.notice && result.model === 'none' && modelLoading) heldNotice = result.notice;
      else if (result.notice && result.model !== 'off') showNotice(result.model, result.notice);
    },
    failed: (_key, e) => ctx.log('warn', `Entity tagging failed: ${(e as Error).message ?? String(e)}`),
  });

  const tagVisible = () => {
    for (const e of vscode.window.visibleTextEditors) if (wanted(e.document)) void scheduler.now(tagged(e.document));
  };

  const loadLexicon = async () => {
    const folder = settings.lexiconFolder;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const resolved = folder === '' ? '' : path.isAbsolute(folder) || !root ? folder : path.join(root, folder);
    if (resolved !== '' && !vscode.workspace.isTrusted) {
      ctx.log('warn', 'Lexicon folder not loaded: the workspace is not trusted.');
      return;
    }
    try {
      // a user's folder replaces the built-in lexicon; the setting turns the built-in one off
      const info = await ctx.client.request('lexicon.load', { folder: resolved, builtIn: settings.defaultLexicon });
      if (resolved) ctx.log('info', `Lexicon: ${info.terms} terms, types ${info.types.join(', ')}.`);
      else if (info.builtIn) ctx.log('info', `Built-in clinical lexicon: ${info.terms} terms, types ${info.types.join(', ')}.`);
      for (const s of info.skipped) ctx.log('warn', `Lexicon file skipped: ${s}`);
    } catch (e) {
      ctx.log('error', (e as Error).message);
      void vscode.window.showWarningMessage(`Clinical ModernBERT: ${(e as Error).message}`);
    }
    tagVisible();
  };

  let watcher: vscode.FileSystemWatcher | undefined;
  const watchLexicon = () => {
    watcher?.dispose();
    watcher = undefined;
    if (!settings.lexiconFolder) return;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri;
    const base = path.isAbsolute(settings.lexiconFolder) || !root ? vscode.Uri.file(settings.lexiconFolder) : vscode.Uri.joinPath(root, settings.lexiconFolder);
    watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(base, '*'));
    let timer: NodeJS.Timeout | undefined;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void loadLexicon(), 500);
    };
    watcher.onDidChange(reload);
    watcher.onDidCreate(reload);
    watcher.onDidDelete(reload);
  };

  ctx.push(
    decorations,
    tree,
    view,
    { dispose: () => scheduler.dispose() },
    { dispose: () => watcher?.dispose() },
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0 && wanted(e.document) && vscode.window.visibleTextEditors.some((v) => v.document === e.document)) {
        scheduler.schedule(tagged(e.document));
      }
    }),
    vscode.window.onDidChangeActiveTextEditor((e) => {
      if (!e) return tree.show(undefined, []);
      render(e.document);
      const r = results.get(e.document.uri.toString());
      if (wanted(e.document) && r?.version !== e.document.version) void scheduler.now(tagged(e.document));
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const e of editors) {
        if (!wanted(e.document)) continue;
        render(e.document);
        if (results.get(e.document.uri.toString())?.version !== e.document.version) void scheduler.now(tagged(e.document));
      }
    }),
    vscode.window.onDidChangeTextEditorVisibleRanges((e) => {
      // a long note tagged in its visible range only: scrolling brings more blocks into view
      if (wanted(e.textEditor.document) && e.textEditor.document.getText().length > settings.longNoteChars) scheduler.schedule(tagged(e.textEditor.document));
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      const key = doc.uri.toString();
      scheduler.cancel(key);
      results.delete(key);
      decorations.forget(key);
      void ctx.client.request('ner.forget', { document: key }).catch(() => undefined);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, 'entities', 'lexiconFolder')) return;
      const lexiconChanged = affects(e, 'lexiconFolder', 'entities.defaultLexicon');
      const wasEnabled = settings.enabled;
      settings = readEntitySettings();
      if (settings.enabled !== wasEnabled) enabled = settings.enabled;
      if (lexiconChanged) {
        watchLexicon();
        void loadLexicon();
      } else tagVisible();
      for (const ed of vscode.window.visibleTextEditors) render(ed.document);
    }),
    vscode.languages.registerHoverProvider(
      [{ scheme: 'file' }, { scheme: 'untitled' }],
      {
        provideHover(doc, pos) {
          if (!enabled) return undefined;
          const r = results.get(doc.uri.toString());
          const s = r && spanAt(r.spans, doc.offsetAt(pos));
          return s ? new vscode.Hover(entityHover(s), new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end))) : undefined;
        },
      },
    ),
    vscode.commands.registerCommand(TOGGLE_COMMAND, () => {
      enabled = !enabled;
      for (const e of vscode.window.visibleTextEditors) render(e.document);
      if (enabled) tagVisible();
      void vscode.window.setStatusBarMessage(`Entity highlighting ${enabled ? 'on' : 'off'}`, 2000);
    }),
    vscode.commands.registerCommand(RELOAD_LEXICON_COMMAND, () => loadLexicon()),
    vscode.commands.registerCommand(REVEAL_COMMAND, async (uri: vscode.Uri, start: number, end: number) => {
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);
      const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
  );
  // the worker holds the lexicon: a restarted worker needs it again
  ctx.client.onRestart(() => void loadLexicon());
  watchLexicon();
  void loadLexicon();

  return {
    refresh: () => {
      noticesShown.clear();
      tagVisible();
    },
    entitiesOf: async (doc) => {
      const current = () => {
        const r = results.get(doc.uri.toString());
        return r && r.version === doc.version ? r.spans : undefined;
      };
      const have = current();
      if (have) return have;
      await scheduler.now(tagged(doc));
      return current();
    },
  };
}
