/**
 * What the index is doing, for the status bar (owned by the lead's status bar
 * item: it shows `describeIndexState(...)` and listens to `onDidChange`).
 */
import * as vscode from 'vscode';

export type IndexState =
  | { kind: 'idle' }
  | { kind: 'indexing'; message: string }
  | { kind: 'ready'; notes: number; lexicalOnly: boolean; at: Date }
  | { kind: 'cancelled' }
  | { kind: 'error'; message: string };

export class IndexStateTracker implements vscode.Disposable {
  private current: IndexState = { kind: 'idle' };
  private readonly emitter = new vscode.EventEmitter<IndexState>();
  readonly onDidChange = this.emitter.event;

  get state(): IndexState {
    return this.current;
  }

  set(s: IndexState): void {
    this.current = s;
    this.emitter.fire(s);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** short status bar text and a tooltip */
export function describeIndexState(s: IndexState): { text: string; tooltip: string } {
  switch (s.kind) {
    case 'idle':
      return { text: '$(search) Index: not built', tooltip: 'Clinical Search: the notes have not been indexed yet. Run "Clinical: Search Notes".' };
    case 'indexing':
      return { text: '$(sync~spin) Indexing notes', tooltip: `Clinical Search: ${s.message}` };
    case 'ready':
      return {
        text: `$(search) ${s.notes} notes${s.lexicalOnly ? ' (words)' : ''}`,
        tooltip: `Clinical Search: ${s.notes} notes indexed at ${s.at.toLocaleTimeString()}${s.lexicalOnly ? '; search is by words only (no model, or a demo model)' : ''}.`,
      };
    case 'cancelled':
      return { text: '$(search-stop) Index: incomplete', tooltip: 'Clinical Search: indexing was cancelled; run "Clinical: Update Index" to finish it.' };
    case 'error':
      return { text: '$(warning) Index: error', tooltip: `Clinical Search: ${s.message}` };
  }
}
