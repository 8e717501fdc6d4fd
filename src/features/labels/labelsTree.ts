/**
 * The "Labels" view: the workspace's labelled notes, each with its note label,
 * its spans grouped by label (counts) and what needs review; above them, the
 * labels of the whole workspace with how many spans and notes each has. A
 * click on a span opens the note with the span selected.
 */
import * as vscode from 'vscode';
import type { LabelIndex, NoteSummary } from './labelIndex';
import { ANN_FILE_CAP } from './labelIndex';
import type { LabelStore } from './labelStore';
import { spanState, type NoteSpan, type UnplacedLine } from './noteLabels';

export const LABELS_VIEW = 'clinicalModernbert.labels';
/** opens a note with a label selected: (note uri, label id, start, end); an open note's live offsets win */
export const REVEAL_LABEL_COMMAND = 'clinicalModernbert.revealLabel';

type NoteRef = { note: vscode.Uri; ann?: vscode.Uri; noteLabel?: string };

type Node =
  | { kind: 'byLabel' }
  | { kind: 'labelType'; label: string; notes: Array<{ summary: NoteSummary; spans: NoteSpan[] }> }
  | { kind: 'note'; summary: NoteSummary }
  | { kind: 'noteLabel'; summary: NoteSummary }
  | { kind: 'group'; summary: NoteSummary; label: string; spans: NoteSpan[] }
  | { kind: 'span'; summary: NoteSummary; span: NoteSpan }
  | { kind: 'unplaced'; summary: NoteSummary; line: UnplacedLine }
  | { kind: 'message'; text: string };

const spanText = (text: string, s: NoteSpan) => {
  const t = text.slice(s.start, s.end).replace(/\s+/g, ' ').trim();
  return t.length > 60 ? `${t.slice(0, 57)}…` : t || `[${s.start}, ${s.end})`;
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export class LabelsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly index: LabelIndex,
    private readonly store: LabelStore,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Summaries of every labelled note: open notes from the editor, the others from disk. */
  private async summaries(): Promise<NoteSummary[]> {
    const refs: NoteRef[] = await this.index.notes();
    const known = new Set(refs.map((r) => r.note.toString()));
    const open = new Map(this.store.openNotes().map((o) => [o.uri.toString(), o.labels]));
    for (const [key, labels] of open) if (!known.has(key) && labels.spans.length + labels.unplaced.length > 0) refs.push({ note: vscode.Uri.parse(key) });
    const out: NoteSummary[] = [];
    for (const ref of refs) {
      const summary = await this.index.summary(ref);
      const live = open.get(ref.note.toString());
      const doc = live && vscode.workspace.textDocuments.find((d) => d.uri.toString() === ref.note.toString());
      out.push(live && doc ? { ...summary, labels: live, text: doc.getText() } : summary);
    }
    return out.filter((s) => s.labels.spans.length || s.labels.unplaced.length || s.noteLabel !== undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const notes = await this.summaries();
      if (!notes.length) return [{ kind: 'message', text: 'No labelled notes yet: select text in a note and run "Clinical: Label Selection...".' }];
      const out: Node[] = [];
      if (notes.some((n) => n.labels.spans.length)) out.push({ kind: 'byLabel' });
      out.push(...notes.map((summary): Node => ({ kind: 'note', summary })));
      if (this.index.truncated) out.push({ kind: 'message', text: `Only the first ${ANN_FILE_CAP} .ann files are listed.` });
      return out;
    }
    switch (node.kind) {
      case 'byLabel': {
        const byLabel = new Map<string, Array<{ summary: NoteSummary; spans: NoteSpan[] }>>();
        for (const summary of await this.summaries()) {
          const groups = new Map<string, NoteSpan[]>();
          for (const s of summary.labels.spans) groups.set(s.label, [...(groups.get(s.label) ?? []), s]);
          for (const [label, spans] of groups) byLabel.set(label, [...(byLabel.get(label) ?? []), { summary, spans }]);
        }
        return [...byLabel.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([label, notes]) => ({ kind: 'labelType', label, notes }));
      }
      case 'labelType':
        return node.notes.map(({ summary, spans }) => ({ kind: 'group', summary, label: node.label, spans }));
      case 'note': {
        const { labels } = node.summary;
        const out: Node[] = [];
        if (node.summary.noteLabel !== undefined) out.push({ kind: 'noteLabel', summary: node.summary });
        out.push(...labels.unplaced.map((line): Node => ({ kind: 'unplaced', summary: node.summary, line })));
        const groups = new Map<string, NoteSpan[]>();
        for (const s of labels.spans) groups.set(s.label, [...(groups.get(s.label) ?? []), s]);
        out.push(...[...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([label, spans]): Node => ({ kind: 'group', summary: node.summary, label, spans })));
        return out;
      }
      case 'group':
        return node.spans.map((span) => ({ kind: 'span', summary: node.summary, span }));
      default:
        return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'message':
        return new vscode.TreeItem(node.text);
      case 'byLabel': {
        const item = new vscode.TreeItem('All labels', vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('tag');
        item.tooltip = 'Every span label of the workspace, with its notes';
        return item;
      }
      case 'labelType': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Collapsed);
        const spans = node.notes.reduce((n, x) => n + x.spans.length, 0);
        item.description = `${plural(spans, 'span')} in ${plural(node.notes.length, 'note')}`;
        item.iconPath = new vscode.ThemeIcon('symbol-constant');
        return item;
      }
      case 'note': {
        const { labels, noteLabel, note } = node.summary;
        const item = new vscode.TreeItem(vscode.workspace.asRelativePath(note), vscode.TreeItemCollapsibleState.Collapsed);
        const review = labels.flagged.length + labels.unplaced.length;
        item.description = [plural(labels.spans.length, 'span'), noteLabel, review ? `${review} to review` : undefined].filter(Boolean).join(' · ');
        item.resourceUri = note;
        item.iconPath = review ? new vscode.ThemeIcon('warning') : vscode.ThemeIcon.File;
        item.tooltip = node.summary.error ? `Could not read the note: ${node.summary.error}` : undefined;
        item.contextValue = 'labelledNote';
        return item;
      }
      case 'noteLabel': {
        const item = new vscode.TreeItem(`Note label: ${node.summary.noteLabel}`);
        item.iconPath = new vscode.ThemeIcon('bookmark');
        item.command = { command: 'vscode.open', title: 'Open note', arguments: [node.summary.note] };
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.description = String(node.spans.length);
        item.iconPath = new vscode.ThemeIcon('tag');
        return item;
      }
      case 'span': {
        const { span, summary } = node;
        const item = new vscode.TreeItem(spanText(summary.text, span));
        const state = spanState(span);
        item.description = state === 'edited' ? 'text changed: keep or change' : state === 'review' ? 'found elsewhere after an outside change: review' : span.id;
        if (state !== 'ok') item.iconPath = new vscode.ThemeIcon('warning');
        item.tooltip = `${span.label} (${span.id})`;
        item.command = { command: REVEAL_LABEL_COMMAND, title: 'Go to label', arguments: [summary.note, span.id, span.start, span.end] };
        return item;
      }
      case 'unplaced': {
        const { line, summary } = node;
        const item = new vscode.TreeItem(`${line.id}${line.label ? ` ${line.label}` : ''}: not shown`);
        item.description = line.reason;
        item.tooltip = `This .ann line is kept as it is: ${line.reason}. Open the .ann to fix or delete it.`;
        item.iconPath = new vscode.ThemeIcon('warning');
        if (summary.ann && line.lineNo > 0) {
          item.command = { command: 'vscode.open', title: 'Open the .ann line', arguments: [summary.ann, { selection: new vscode.Range(line.lineNo - 1, 0, line.lineNo - 1, 0) }] };
        }
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
