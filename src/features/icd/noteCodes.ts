/**
 * Detected codes per document version, shared by the hover and the tree view
 * so a note is sent to the engine once per edit, not once per hover.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { DetectedCode } from '../../engine/icd/protocol';

interface Entry {
  version: number;
  result: Promise<{ installed: boolean; codes: DetectedCode[] }>;
}

export class NoteCodes implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString()))];
  }

  get(doc: vscode.TextDocument): Promise<{ installed: boolean; codes: DetectedCode[] }> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.result;
    const result = this.ctx.client.request('icd.detect', { text: doc.getText() });
    const entry = { version: doc.version, result };
    this.cache.set(key, entry);
    // a failed request is not cached: the next hover asks again
    result.catch(() => {
      if (this.cache.get(key) === entry) this.cache.delete(key);
    });
    return result;
  }

  /** after an install the same text may hold different codes */
  clear(): void {
    this.cache.clear();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.cache.clear();
  }
}
