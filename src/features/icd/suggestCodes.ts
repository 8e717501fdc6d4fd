/**
 * "Suggest ICD Codes for Selection": codes for the selected phrase (or the
 * diagnosis on the cursor's line) from the encoder and the words, in a
 * QuickPick with description, billable status and chapter. The chosen code is
 * written after the phrase, "(E11.9)", so the phrase itself is kept. Also a
 * code action on a selection or a diagnosis line.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { readIcdSettings } from '../../config';
import type { CodeSuggestion, SuggestResponse } from '../../engine/icd/protocol';
import { codeInsertion, diagnosisPhrase } from './diagnosisLine';
import { INSTALL_COMMAND } from './hoverText';

export const SUGGEST_COMMAND = 'clinicalModernbert.icd.suggestCodes';
export const BUILD_EMBEDDINGS_COMMAND = 'clinicalModernbert.icd.buildEmbeddings';
/** selections longer than this are not a phrase: no code action is offered for them */
const MAX_PHRASE_CHARS = 2000;

/** what the command works on: given by the code action, or read from the active editor */
export interface SuggestTarget {
  uri: string;
  start: number;
  end: number;
}

interface Item extends vscode.QuickPickItem {
  code?: CodeSuggestion;
  run?: string;
}

/** the phrase of the active editor: its selection, else the diagnosis on the cursor's line, else the line */
export function targetOf(editor: vscode.TextEditor): SuggestTarget | undefined {
  const doc = editor.document;
  const sel = editor.selection;
  if (!sel.isEmpty) return { uri: doc.uri.toString(), start: doc.offsetAt(sel.start), end: doc.offsetAt(sel.end) };
  const line = doc.lineAt(sel.active.line);
  const first = Math.max(0, sel.active.line - 40);
  const lines = Array.from({ length: sel.active.line - first + 1 }, (_, i) => doc.lineAt(first + i).text);
  const phrase = diagnosisPhrase(lines, lines.length - 1);
  const at = doc.offsetAt(line.range.start);
  if (phrase) return { uri: doc.uri.toString(), start: at + phrase.start, end: at + phrase.end };
  if (line.isEmptyOrWhitespace) return undefined;
  return { uri: doc.uri.toString(), start: at + line.firstNonWhitespaceCharacterIndex, end: doc.offsetAt(line.range.end) };
}

function describe(c: CodeSuggestion): string {
  const status = c.billable ? 'billable' : 'header, not billable';
  const from = c.rankers.length === 2 ? 'encoder + words' : c.rankers[0] === 'encoder' ? `encoder (similarity ${c.similarity?.toFixed(2)})` : 'words';
  return `${c.systemName} · ${status} · ${c.chapter} · ${from}`;
}

/** QuickPick items for a response: a notice when only words were matched, then the codes */
export function suggestionItems(r: SuggestResponse): Item[] {
  if (!r.installed) return [{ label: '$(cloud-download) Install ICD code sets to get suggestions', detail: 'Runs "Clinical: Install ICD Code Sets"', alwaysShow: true, run: INSTALL_COMMAND }];
  const items: Item[] = [];
  if (r.wordsOnly) {
    const build = /not embedded/.test(r.reason ?? '');
    items.push({ label: build ? '$(info) From words only: build the code embeddings to add the encoder' : '$(info) From words only', detail: r.reason, alwaysShow: true, run: build ? BUILD_EMBEDDINGS_COMMAND : undefined });
  }
  if (!r.items.length) items.push({ label: 'No codes found for this text', alwaysShow: true });
  for (const c of r.items) items.push({ label: c.display, description: c.description, detail: describe(c), alwaysShow: true, code: c });
  return items;
}

export function suggestCodesCommand(ctx: Ctx): (target?: SuggestTarget) => Promise<void> {
  return async (given) => {
    const editor = vscode.window.activeTextEditor;
    const target = given ?? (editor ? targetOf(editor) : undefined);
    if (!target) {
      void vscode.window.showInformationMessage('Select a phrase (or put the cursor on a diagnosis line) to get ICD code suggestions.');
      return;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri));
    const text = doc.getText(new vscode.Range(doc.positionAt(target.start), doc.positionAt(target.end)));
    const settings = readIcdSettings();
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = 'ICD codes for the selected text';
    qp.placeholder = 'Choose a code to write after the phrase';
    qp.matchOnDescription = true;
    qp.busy = true;
    qp.show();
    const controller = new AbortController();
    qp.onDidHide(() => {
      controller.abort();
      qp.dispose();
    });
    qp.onDidAccept(async () => {
      const item = qp.selectedItems[0];
      if (!item?.code && !item?.run) return;
      qp.hide();
      if (item.run) {
        await vscode.commands.executeCommand(item.run);
        return;
      }
      await insertCode(doc, target.end, item.code!.display);
    });
    // a model that loads on first use is waited for; without one, the words still answer
    await ctx.ensureModel().catch(() => undefined);
    try {
      const r = await ctx.client.request('icd.suggest', { text, k: 20, systems: settings.suggestSystems, template: settings.embeddingTemplate || undefined }, { signal: controller.signal });
      if (controller.signal.aborted) return;
      qp.items = suggestionItems(r);
      const first = qp.items.findIndex((i) => i.code);
      if (first >= 0) qp.activeItems = [qp.items[first]!];
      ctx.log('info', `ICD suggestions: ${r.items.length} codes in ${r.ms} ms${r.wordsOnly ? ' (words only)' : ''}.`);
    } catch (e) {
      if (controller.signal.aborted) return;
      const message = e instanceof Error ? e.message : String(e);
      ctx.log('warn', `ICD suggestions failed: ${message}`);
      qp.items = [{ label: `$(error) ${message}`, alwaysShow: true }];
    } finally {
      qp.busy = false;
    }
  };
}

/** writes " (E11.9)" after the phrase, in the document's editor when it is open */
async function insertCode(doc: vscode.TextDocument, offset: number, display: string): Promise<void> {
  const at = doc.positionAt(offset);
  const before = doc.lineAt(at.line).text.slice(0, at.character);
  const text = codeInsertion(before, display);
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  if (editor) {
    await editor.edit((b) => b.insert(at, text));
    const end = doc.positionAt(offset + text.length);
    editor.selection = new vscode.Selection(end, end);
    return;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.insert(doc.uri, at, text);
  await vscode.workspace.applyEdit(edit);
}

/** the light bulb on a selected phrase or a diagnosis line */
export class SuggestCodesActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    let target: SuggestTarget | undefined;
    if (!range.isEmpty) {
      const start = doc.offsetAt(range.start);
      const end = doc.offsetAt(range.end);
      if (end - start > MAX_PHRASE_CHARS || !doc.getText(range).trim()) return [];
      target = { uri: doc.uri.toString(), start, end };
    } else {
      const lineNo = range.start.line;
      const first = Math.max(0, lineNo - 40); // diagnosisPhrase looks back 40 lines at most
      const lines = Array.from({ length: lineNo - first + 1 }, (_, i) => doc.lineAt(first + i).text);
      const phrase = diagnosisPhrase(lines, lines.length - 1);
      if (!phrase) return [];
      const at = doc.offsetAt(new vscode.Position(lineNo, 0));
      target = { uri: doc.uri.toString(), start: at + phrase.start, end: at + phrase.end };
    }
    const action = new vscode.CodeAction('Suggest ICD codes', vscode.CodeActionKind.QuickFix);
    action.command = { command: SUGGEST_COMMAND, title: 'Suggest ICD codes', arguments: [target] };
    return [action];
  }
}
