/**
 * The entity and classification settings, one typed view. (Kept beside the
 * feature until src/config.ts takes them in; nothing else reads these keys.)
 */
import * as vscode from 'vscode';
import { SECTION } from '../../config';
import type { MergeMode } from '../../engine/tasks/protocol';

export interface EntitySettings {
  enabled: boolean;
  languages: string[];
  debounceMs: number;
  merge: MergeMode;
  assertionWindow: number;
  /** '' when unset; relative paths are resolved against the first workspace folder */
  lexiconFolder: string;
  /** notes longer than this many characters are tagged in the visible range first */
  longNoteChars: number;
  classifyStatusBar: boolean;
}

export function readEntitySettings(): EntitySettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    enabled: c.get<boolean>('entities.enabled', true),
    languages: c.get<string[]>('entities.languages', ['plaintext', 'markdown']),
    debounceMs: c.get<number>('entities.debounceMs', 300),
    merge: c.get<MergeMode>('entities.lexiconMerge', 'modelFirst'),
    assertionWindow: c.get<number>('entities.assertionWindow', 8),
    lexiconFolder: c.get<string>('lexiconFolder', '').trim(),
    longNoteChars: 20_000,
    classifyStatusBar: c.get<boolean>('classify.statusBar', false),
  };
}
