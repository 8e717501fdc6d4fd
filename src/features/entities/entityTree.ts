/** The "Entities" view: the active note's entities grouped by type; a click jumps to the entity. */
import * as vscode from 'vscode';
import type { EntitySpan } from '../../engine/tasks/protocol';
import { describeStatus } from './entityHover';

export const REVEAL_COMMAND = 'clinicalModernbert.revealEntity';

type Node = { kind: 'type'; type: string; spans: EntitySpan[] } | { kind: 'entity'; span: EntitySpan };

export class EntityTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private doc: vscode.TextDocument | undefined;
  private spans: EntitySpan[] = [];

  show(doc: vscode.TextDocument | undefined, spans: readonly EntitySpan[]): void {
    this.doc = doc;
    this.spans = [...spans];
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const byType = new Map<string, EntitySpan[]>();
      for (const s of this.spans) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
      return [...byType.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([type, spans]) => ({ kind: 'type', type, spans }));
    }
    return node.kind === 'type' ? node.spans.map((span) => ({ kind: 'entity', span })) : [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'type') {
      const item = new vscode.TreeItem(node.type, vscode.TreeItemCollapsibleState.Expanded);
      item.description = String(node.spans.length);
      return item;
    }
    const s = node.span;
    const text = this.doc ? this.doc.getText().slice(s.start, s.end).replace(/\s+/g, ' ') : `${s.start}-${s.end}`;
    const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.None);
    const status = describeStatus(s);
    item.description = status === 'affirmed, current, patient' ? s.source : `${status} · ${s.source}`;
    if (this.doc) item.command = { command: REVEAL_COMMAND, title: 'Go to entity', arguments: [this.doc.uri, s.start, s.end] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
