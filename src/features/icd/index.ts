/**
 * ICD features: hover, install commands, Find ICD Code, the "ICD Codes in
 * This Note" view, codes suggested for a phrase (command and code action), the
 * code embeddings they use, and the ICD map. Everything goes through the
 * engine worker.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { affects, readIcdSettings, type IcdSettings } from '../../config';
import { CodesInNoteView, REVEAL_COMMAND, revealCode } from './codesView';
import { findCodeCommand } from './findCode';
import { IcdHoverProvider } from './hover';
import { INSTALL_COMMAND, LOCAL_FOLDER_COMMAND } from './hoverText';
import { installCommand, syncLocalFolder, useLocalFolderCommand } from './install';
import { NoteCodes } from './noteCodes';
import { BUILD_EMBEDDINGS_COMMAND, SUGGEST_COMMAND, SuggestCodesActions, suggestCodesCommand } from './suggestCodes';
import { buildEmbeddingsCommand } from './buildEmbeddings';
import { IcdMapPanel, MAP_COMMAND } from './mapPanel';

export const FIND_CODE_COMMAND = 'clinicalModernbert.icd.findCode';
export const CODES_VIEW = 'clinicalModernbert.icdCodes';

/** plaintext, markdown and the languages the setting adds */
function icdDocumentSelector(s: IcdSettings): vscode.DocumentSelector {
  const ids = new Set(['plaintext', 'markdown', ...s.languages]);
  return [...ids].map((language) => ({ language }));
}

export function registerIcdFeatures(ctx: Ctx): void {
  const notes = new NoteCodes(ctx);
  let selector = icdDocumentSelector(readIcdSettings());
  const isNote = (doc: vscode.TextDocument) => vscode.languages.match(selector, doc) > 0;
  const view = new CodesInNoteView(ctx, notes, isNote);
  const onInstalled = () => {
    notes.clear();
    view.refresh();
  };

  const hover = new IcdHoverProvider(ctx, notes);
  let hoverRegistration = vscode.languages.registerHoverProvider(selector, hover);
  const actions = new SuggestCodesActions();
  const registerActions = () => vscode.languages.registerCodeActionsProvider(selector, actions, { providedCodeActionKinds: SuggestCodesActions.kinds });
  let actionsRegistration = registerActions();

  ctx.push(
    notes,
    view,
    { dispose: () => hoverRegistration.dispose() },
    { dispose: () => actionsRegistration.dispose() },
    vscode.window.registerTreeDataProvider(CODES_VIEW, view),
    vscode.commands.registerCommand(INSTALL_COMMAND, installCommand(ctx, onInstalled)),
    vscode.commands.registerCommand(LOCAL_FOLDER_COMMAND, useLocalFolderCommand(ctx, onInstalled)),
    vscode.commands.registerCommand(FIND_CODE_COMMAND, findCodeCommand(ctx)),
    vscode.commands.registerCommand(REVEAL_COMMAND, revealCode),
    vscode.commands.registerCommand(SUGGEST_COMMAND, suggestCodesCommand(ctx)),
    vscode.commands.registerCommand(BUILD_EMBEDDINGS_COMMAND, buildEmbeddingsCommand(ctx, () => IcdMapPanel.refresh())),
    vscode.commands.registerCommand(MAP_COMMAND, () => IcdMapPanel.show(ctx)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'icd.languages')) {
        selector = icdDocumentSelector(readIcdSettings());
        hoverRegistration.dispose();
        hoverRegistration = vscode.languages.registerHoverProvider(selector, hover);
        actionsRegistration.dispose();
        actionsRegistration = registerActions();
        view.refresh();
      }
      if (affects(e, 'icd.localFolder')) void syncLocalFolder(ctx, onInstalled);
    }),
  );
  void syncLocalFolder(ctx, onInstalled);
}
