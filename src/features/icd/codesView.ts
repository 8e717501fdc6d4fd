/**
 * "ICD Codes in This Note": every code detected in the active note with its
 * description; clicking one selects it in the editor.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { DetectedCode } from '../../engine/icd/protocol';
import type { NoteCodes } from './noteCodes';

export const REVEAL_COMMAND = 'clinicalModernbert.icd.revealCode';

type Node = { kind: 'code'; uri: vscode.Uri; code: DetectedCode } | { kind: 'message'; text: string };

export class CodesInNoteView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly notes: NoteCodes,
    private readonly isNote: (doc: vscode.TextDocument) => boolean,
  ) {
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.refresh()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document) this.refreshSoon();
      }),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 400);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    if (n.kind === 'message') return new vscode.TreeItem(n.text);
    const best = n.code.readings[0]!;
    const item = new vscode.TreeItem(best.display);
    item.description =
      best.description ??
      (best.narrower?.length ? `${best.systemName} category (${best.narrower.map((c) => c.display).join(', ')})` : `${best.systemName} (${best.installed ? 'not in the installed code set' : 'code set not installed'})`);
    const others = n.code.readings.slice(1).map((r) => `${r.systemName} ${r.display}`);
    item.tooltip = `${best.systemName}${best.billable === false ? ', header (not billable)' : ''}${others.length ? `\nAlso: ${others.join(', ')}` : ''}`;
    item.command = { command: REVEAL_COMMAND, title: 'Show in Note', arguments: [n.uri, n.code.start, n.code.end] };
    return item;
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (n) return [];
    const doc = vscode.window.activeTextEditor?.document;
    if (!doc || !this.isNote(doc)) return [{ kind: 'message', text: 'Open a note (plain text or Markdown) to list its ICD codes.' }];
    try {
      const { installed, codes } = await this.notes.get(doc);
      if (!codes.length) return [{ kind: 'message', text: installed ? 'No ICD codes in this note.' : 'No ICD codes found. Install the code sets to find codes without a cue.' }];
      return codes.map((code) => ({ kind: 'code', uri: doc.uri, code }));
    } catch (e) {
      this.ctx.log('warn', `Listing ICD codes failed: ${(e as Error).message}`);
      return [{ kind: 'message', text: 'ICD codes could not be listed; see the log.' }];
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

export async function revealCode(uri: vscode.Uri, start: number, end: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(doc);
  const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  editor.selection = new vscode.Selection(range.start, range.end);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
