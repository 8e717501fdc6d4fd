/**
 * Labelling notes in the editor: spans (brat `.ann` beside the note) and note
 * labels (`labels.csv` at the dataset root), their decorations and hover, the
 * Labels view, and turning entity predictions into labels. docs/labelling.md
 * describes what the user sees.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { affects, readEntitySettings } from '../../config';
import type { EntityFeatures } from '../entities';
import { findDatasetRoot, LabelsFileError, noteKey, noteLabelIn, setNoteLabel } from './documentLabels';
import { LabelDecorations } from './labelDecorations';
import { CHANGE_LABEL_COMMAND, KEEP_LABEL_COMMAND, labelHover, REMOVE_LABEL_COMMAND } from './labelHover';
import { LabelIndex } from './labelIndex';
import { pickLabel } from './labelPicker';
import { LabelError, LabelStore } from './labelStore';
import { LABELS_VIEW, LabelsTree, REVEAL_LABEL_COMMAND } from './labelsTree';
import { readTextIfExists, writeFileAtomic } from './labelFiles';
import { spanState, type NoteLabels, type NoteSpan } from './noteLabels';
import { acceptSuggestions } from './suggestions';
import { workspaceTrainingData, type TrainingData } from './trainingData';

export const LABEL_SELECTION_COMMAND = 'clinicalModernbert.labelSelection';
export const LABEL_NOTE_COMMAND = 'clinicalModernbert.labelNote';
export const ACCEPT_SUGGESTIONS_COMMAND = 'clinicalModernbert.acceptSuggestions';
export const REFRESH_LABELS_COMMAND = 'clinicalModernbert.refreshLabels';
/** context key: the language ids whose notes can be labelled (the keybinding's `when`) */
export const LABEL_LANGUAGES_CONTEXT = 'clinicalModernbert.labelLanguages';

const RECENT_SPAN_LABELS = 'clinicalModernbert.recentSpanLabels';
const RECENT_NOTE_LABELS = 'clinicalModernbert.recentNoteLabels';

export interface LabelFeatures {
  store: LabelStore;
  /** the workspace's labelled notes as training takes them (trainingData.ts) */
  trainingData(task: 'ner' | 'classify'): Promise<TrainingData>;
  /** open notes whose label changes wait for the note to be saved */
  unsavedLabels(): vscode.TextDocument[];
}

/** Selections as character ranges, trimmed of surrounding whitespace; an empty selection takes the word under the cursor. */
function selectedRanges(editor: vscode.TextEditor): Array<{ start: number; end: number }> {
  const doc = editor.document;
  const text = doc.getText();
  const out: Array<{ start: number; end: number }> = [];
  for (const sel of editor.selections) {
    let range: vscode.Range | undefined = sel;
    if (sel.isEmpty) range = doc.getWordRangeAtPosition(sel.active);
    if (!range) continue;
    let start = doc.offsetAt(range.start);
    let end = doc.offsetAt(range.end);
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end > start) out.push({ start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

const short = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 40 ? `${t.slice(0, 37)}…` : t;
};

export function registerLabelFeatures(ctx: Ctx, entities: EntityFeatures): LabelFeatures {
  const store = new LabelStore(ctx);
  const index = new LabelIndex();
  const decorations = new LabelDecorations();
  const tree = new LabelsTree(index, store);
  const view = vscode.window.createTreeView(LABELS_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  let languages = readEntitySettings().languages;
  const setLanguages = () => void vscode.commands.executeCommand('setContext', LABEL_LANGUAGES_CONTEXT, languages);
  setLanguages();

  const wanted = (doc: vscode.TextDocument) => LabelStore.canLabel(doc) && languages.includes(doc.languageId);

  const render = (uri: vscode.Uri) => {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const spans = doc ? store.peek(doc)?.spans ?? [] : [];
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) decorations.apply(e, spans);
  };

  const treeSignatures = new Map<string, string>();
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshTree = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => tree.refresh(), 300);
  };

  const show = async (doc: vscode.TextDocument) => {
    if (!wanted(doc)) return;
    try {
      await store.labelsOf(doc);
      render(doc.uri);
    } catch (e) {
      if (!(e instanceof LabelError)) ctx.log('warn', `Labels: ${(e as Error).message}`);
    }
  };

  /** The active note, ready for labelling, or undefined after telling the user why not. */
  const activeNote = async (): Promise<vscode.TextEditor | undefined> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Clinical ModernBERT: open a note to label it.');
      return undefined;
    }
    if (editor.document.isUntitled) {
      const save = await vscode.window.showWarningMessage('Clinical ModernBERT: save the note first: its labels are kept in a .ann file beside it.', 'Save As...');
      if (save) await vscode.commands.executeCommand('workbench.action.files.saveAs');
      return undefined;
    }
    if (!LabelStore.canLabel(editor.document)) {
      void vscode.window.showWarningMessage('Clinical ModernBERT: only notes saved as files can be labelled.');
      return undefined;
    }
    return editor;
  };

  const reportError = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log('error', `Labels: ${message}`);
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${message}`);
  };

  const spanLabels = async (labels?: NoteLabels) => {
    const known = await index.spanLabels().catch(() => new Set<string>());
    for (const o of store.openNotes()) for (const s of o.labels.spans) known.add(s.label);
    for (const s of labels?.spans ?? []) known.add(s.label);
    return known;
  };

  /** Finds a span by the hover's arguments, or the one under the cursor. */
  const targetSpans = async (uriArg?: string, id?: string): Promise<{ doc: vscode.TextDocument; spans: NoteSpan[] } | undefined> => {
    if (uriArg && id) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uriArg));
      const labels = await store.labelsOf(doc);
      const span = labels.spans.find((s) => s.id === id);
      return span ? { doc, spans: [span] } : undefined;
    }
    const editor = await activeNote();
    if (!editor) return undefined;
    const labels = await store.labelsOf(editor.document);
    const doc = editor.document;
    const spans = labels.spans.filter((s) =>
      editor.selections.some((sel) => {
        const a = doc.offsetAt(sel.start);
        const b = doc.offsetAt(sel.end);
        return sel.isEmpty ? s.start <= a && a <= s.end : s.start < b && a < s.end;
      }),
    );
    if (!spans.length) void vscode.window.showInformationMessage('Clinical ModernBERT: there is no label at the cursor.');
    return spans.length ? { doc, spans } : undefined;
  };

  const labelSelection = async () => {
    const editor = await activeNote();
    if (!editor) return;
    try {
      const doc = editor.document;
      const labels = await store.labelsOf(doc);
      const ranges = selectedRanges(editor);
      if (!ranges.length) {
        void vscode.window.showInformationMessage('Clinical ModernBERT: select the text to label first.');
        return;
      }
      const text = doc.getText();
      const version = doc.version;
      const replaced = new Set(ranges.flatMap((r) => labels.overlapping(r.start, r.end)).map((s) => `${s.label} (${s.id})`));
      const picked = await pickLabel(ctx.extension.workspaceState, {
        title: ranges.length === 1 ? `Label “${short(text.slice(ranges[0]!.start, ranges[0]!.end))}”` : `Label ${ranges.length} selections`,
        placeholder: replaced.size ? `Pick or type a label (replaces ${[...replaced].join(', ')})` : 'Pick a label, or type a new one',
        recentKey: RECENT_SPAN_LABELS,
        known: await spanLabels(labels),
      });
      if (!picked || !('label' in picked)) return;
      if (doc.version !== version) {
        void vscode.window.showInformationMessage('Clinical ModernBERT: the note changed while the label was being picked: select the text again.');
        return;
      }
      await store.update(doc, (l, t) => {
        for (const r of ranges) l.add(t, r.start, r.end, picked.label);
        return true;
      });
    } catch (e) {
      reportError(e);
    }
  };

  const changeLabel = async (uriArg?: string, id?: string) => {
    try {
      const target = await targetSpans(uriArg, id);
      if (!target) return;
      const current = target.spans[0]!.label;
      const picked = await pickLabel(ctx.extension.workspaceState, {
        title: target.spans.length === 1 ? `Change label ${current}` : `Change ${target.spans.length} labels`,
        placeholder: 'Pick a label, or type a new one',
        recentKey: RECENT_SPAN_LABELS,
        known: await spanLabels(),
        current,
      });
      if (!picked || !('label' in picked)) return;
      await store.update(target.doc, (l) => target.spans.map((s) => l.relabel(s.id, picked.label)).some(Boolean));
    } catch (e) {
      reportError(e);
    }
  };

  const removeLabel = async (uriArg?: string, id?: string) => {
    try {
      const target = await targetSpans(uriArg, id);
      if (!target) return;
      await store.update(target.doc, (l) => target.spans.map((s) => l.remove(s.id)).some(Boolean));
    } catch (e) {
      reportError(e);
    }
  };

  const keepLabel = async (uriArg?: string, id?: string) => {
    try {
      const target = await targetSpans(uriArg, id);
      if (!target) return;
      await store.update(target.doc, (l) => target.spans.map((s) => l.keep(s.id)).some(Boolean));
    } catch (e) {
      reportError(e);
    }
  };

  const acceptInSelection = async () => {
    const editor = await activeNote();
    if (!editor) return;
    try {
      const doc = editor.document;
      await store.labelsOf(doc);
      const version = doc.version;
      const predicted = await entities.entitiesOf(doc);
      if (!predicted) {
        void vscode.window.showWarningMessage('Clinical ModernBERT: there are no entity suggestions for this note (see the log).');
        return;
      }
      if (doc.version !== version) return;
      const whole = editor.selections.every((s) => s.isEmpty);
      const within = whole ? [{ start: 0, end: doc.getText().length }] : editor.selections.map((s) => ({ start: doc.offsetAt(s.start), end: doc.offsetAt(s.end) }));
      const known = await spanLabels();
      let taken = 0;
      let skipped = 0;
      await store.update(doc, (l, text) => {
        const r = acceptSuggestions(predicted, within, l.spans, known);
        for (const a of r.accept) l.add(text, a.start, a.end, a.label);
        taken = r.accept.length;
        skipped = r.skipped;
        return taken > 0;
      });
      const where = whole ? 'in this note' : 'in the selection';
      void vscode.window.showInformationMessage(
        `Clinical ModernBERT: ${taken} suggestion${taken === 1 ? '' : 's'} ${where} became labels${skipped ? `; ${skipped} overlapping existing labels left as they were` : ''}.`,
      );
    } catch (e) {
      reportError(e);
    }
  };

  const labelNote = async () => {
    const editor = await activeNote();
    if (!editor) return;
    try {
      const notePath = editor.document.uri.fsPath;
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      const root = findDatasetRoot(notePath, folders, (p) => fs.existsSync(p));
      const key = noteKey(root.root, notePath);
      if (!key) throw new LabelsFileError('the note is outside the dataset folder');
      const before = await readTextIfExists(root.labelsFile);
      const current = noteLabelIn(before, root.kind, key);
      const known = await index.noteLabels().catch(() => new Set<string>());
      const picked = await pickLabel(ctx.extension.workspaceState, {
        title: `Label note ${path.basename(notePath)}`,
        placeholder: `Pick or type the note's label (kept in ${vscode.workspace.asRelativePath(root.labelsFile)})`,
        recentKey: RECENT_NOTE_LABELS,
        known,
        current,
        actions: current !== undefined ? [{ label: '$(trash) Remove the note label', description: current, action: 'remove' }] : [],
      });
      if (!picked) return;
      const label = 'label' in picked ? picked.label : undefined;
      if (label === current) return;
      // read again: another note may have been labelled while the picker was open
      const latest = await readTextIfExists(root.labelsFile);
      await writeFileAtomic(root.labelsFile, setNoteLabel(latest, root.kind, key, label));
      index.invalidate();
      refreshTree();
      void vscode.window.setStatusBarMessage(label ? `Note labelled ${label}` : 'Note label removed', 3000);
    } catch (e) {
      reportError(e);
    }
  };

  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{ann,csv,jsonl}');
  const onFiles = (uri: vscode.Uri, created: boolean) => {
    const base = path.basename(uri.fsPath);
    if (!uri.fsPath.endsWith('.ann') && base !== 'labels.csv' && base !== 'labels.jsonl') return;
    if (created) index.invalidate();
    refreshTree();
  };

  ctx.push(
    store,
    index,
    decorations,
    tree,
    view,
    watcher,
    { dispose: () => clearTimeout(refreshTimer) },
    watcher.onDidCreate((u) => onFiles(u, true)),
    watcher.onDidDelete((u) => onFiles(u, true)),
    watcher.onDidChange((u) => onFiles(u, false)),
    store.onDidChange((uri) => {
      render(uri);
      // typing moves spans on every keystroke: the view changes only when what it lists changes
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      const labels = doc && store.peek(doc);
      const signature = labels ? `${labels.spans.map((x) => `${x.id}:${x.label}:${spanState(x)}`).join(',')}|${labels.unplaced.length}` : '';
      if (treeSignatures.get(uri.toString()) === signature && signature !== '') return;
      treeSignatures.set(uri.toString(), signature);
      refreshTree();
    }),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const e of editors) {
        if (store.peek(e.document)) render(e.document.uri);
        else void show(e.document);
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, 'entities.languages')) return;
      languages = readEntitySettings().languages;
      setLanguages();
      for (const ed of vscode.window.visibleTextEditors) void show(ed.document);
    }),
    vscode.languages.registerHoverProvider([{ scheme: 'file' }], {
      provideHover(doc, pos) {
        const labels = store.peek(doc);
        const offset = doc.offsetAt(pos);
        const s = labels?.spans.find((x) => x.start <= offset && offset < x.end);
        return s ? new vscode.Hover(labelHover(doc.uri, s), new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end))) : undefined;
      },
    }),
    vscode.commands.registerCommand(LABEL_SELECTION_COMMAND, labelSelection),
    vscode.commands.registerCommand(LABEL_NOTE_COMMAND, labelNote),
    vscode.commands.registerCommand(REMOVE_LABEL_COMMAND, removeLabel),
    vscode.commands.registerCommand(CHANGE_LABEL_COMMAND, changeLabel),
    vscode.commands.registerCommand(KEEP_LABEL_COMMAND, keepLabel),
    vscode.commands.registerCommand(ACCEPT_SUGGESTIONS_COMMAND, acceptInSelection),
    vscode.commands.registerCommand(REVEAL_LABEL_COMMAND, async (uri: vscode.Uri, id: string, start: number, end: number) => {
      const doc = await vscode.workspace.openTextDocument(uri);
      const live = store.peek(doc)?.spans.find((x) => x.id === id);
      const editor = await vscode.window.showTextDocument(doc);
      const range = new vscode.Range(doc.positionAt(live?.start ?? start), doc.positionAt(live?.end ?? end));
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
    vscode.commands.registerCommand(REFRESH_LABELS_COMMAND, () => {
      index.invalidate();
      tree.refresh();
    }),
  );
  for (const e of vscode.window.visibleTextEditors) void show(e.document);
  return {
    store,
    trainingData: async (task) => {
      index.invalidate();
      const notes = await index.notes();
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      const d = await workspaceTrainingData(task, notes.map((n) => ({ note: n.note.fsPath, ann: n.ann?.fsPath })), await index.labelFilePaths(), root);
      return d;
    },
    unsavedLabels: () => vscode.workspace.textDocuments.filter((d) => d.isDirty && store.peek(d)?.dirty),
  };
}
