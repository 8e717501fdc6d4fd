/**
 * ICD features: hover, install commands, Find ICD Code, and the
 * "ICD Codes in This Note" view. Everything goes through the engine worker.
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

  ctx.push(
    notes,
    view,
    { dispose: () => hoverRegistration.dispose() },
    vscode.window.registerTreeDataProvider(CODES_VIEW, view),
    vscode.commands.registerCommand(INSTALL_COMMAND, installCommand(ctx, onInstalled)),
    vscode.commands.registerCommand(LOCAL_FOLDER_COMMAND, useLocalFolderCommand(ctx, onInstalled)),
    vscode.commands.registerCommand(FIND_CODE_COMMAND, findCodeCommand(ctx)),
    vscode.commands.registerCommand(REVEAL_COMMAND, revealCode),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'icd.languages')) {
        selector = icdDocumentSelector(readIcdSettings());
        hoverRegistration.dispose();
        hoverRegistration = vscode.languages.registerHoverProvider(selector, hover);
        view.refresh();
      }
      if (affects(e, 'icd.localFolder')) void syncLocalFolder(ctx, onInstalled);
    }),
  );
  void syncLocalFolder(ctx, onInstalled);
}
