/**
 * One decoration type per entity type and status: a theme colour per type
 * (contributes.colors, clinicalModernbert.entity.<type>; unknown types use
 * .other), negated entities struck through and dimmed, uncertain ones with a
 * dotted underline.
 */
import * as vscode from 'vscode';
import type { EntitySpan } from '../../engine/tasks/protocol';

export const COLOURED_TYPES = ['problem', 'test', 'treatment', 'drug', 'procedure', 'anatomy'] as const;

type Status = 'plain' | 'negated' | 'uncertain';

function statusOf(s: EntitySpan): Status {
  return s.negated ? 'negated' : s.uncertain ? 'uncertain' : 'plain';
}

export function colourId(type: string): string {
  return `clinicalModernbert.entity.${(COLOURED_TYPES as readonly string[]).includes(type) ? type : 'other'}`;
}

export class EntityDecorations implements vscode.Disposable {
  private readonly types = new Map<string, vscode.TextEditorDecorationType>();
  /** decoration keys last set per editor document, so stale ones are cleared */
  private readonly used = new Map<string, Set<string>>();

  private typeFor(key: string, type: string, status: Status): vscode.TextEditorDecorationType {
    let t = this.types.get(key);
    if (!t) {
      const colour = new vscode.ThemeColor(colourId(type));
      t = vscode.window.createTextEditorDecorationType({
        backgroundColor: colour,
        borderRadius: '2px',
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        ...(status === 'negated' ? { textDecoration: 'line-through', opacity: '0.6' } : {}),
        ...(status === 'uncertain' ? { textDecoration: 'underline dotted' } : {}),
      });
      this.types.set(key, t);
    }
    return t;
  }

  apply(editor: vscode.TextEditor, spans: readonly EntitySpan[]): void {
    const doc = editor.document;
    const groups = new Map<string, vscode.DecorationOptions[]>();
    for (const s of spans) {
      const status = statusOf(s);
      const key = `${s.type}|${status}`;
      this.typeFor(key, s.type, status);
      const list = groups.get(key) ?? [];
      list.push({ range: new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)) });
      groups.set(key, list);
    }
    const docKey = doc.uri.toString();
    const before = this.used.get(docKey) ?? new Set<string>();
    for (const key of before) if (!groups.has(key)) editor.setDecorations(this.types.get(key)!, []);
    for (const [key, list] of groups) editor.setDecorations(this.types.get(key)!, list);
    this.used.set(docKey, new Set(groups.keys()));
  }

  clear(editor: vscode.TextEditor): void {
    for (const t of this.types.values()) editor.setDecorations(t, []);
    this.used.delete(editor.document.uri.toString());
  }

  forget(docKey: string): void {
    this.used.delete(docKey);
  }

  dispose(): void {
    for (const t of this.types.values()) t.dispose();
    this.types.clear();
  }
}
