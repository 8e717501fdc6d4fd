/**
 * How labels look in the editor, distinct from predictions (which are
 * background colours): a border in the label's colour (theme colours
 * clinicalModernbert.label.1 ... .8, a slot per label name), so a prediction
 * under a label stays visible. A flagged label (its text changed, or it was
 * found again after the note changed outside VS Code) gets a dashed border in
 * the review colour and a mark in the overview ruler.
 */
import * as vscode from 'vscode';
import { labelColourSlot, LABEL_COLOUR_SLOTS } from './labelChoices';
import { spanState, type NoteSpan } from './noteLabels';

export const REVIEW_COLOUR = 'clinicalModernbert.label.review';
export const labelColourId = (label: string) => `clinicalModernbert.label.${labelColourSlot(label)}`;

export class LabelDecorations implements vscode.Disposable {
  private readonly slots: vscode.TextEditorDecorationType[] = [];
  private readonly review: vscode.TextEditorDecorationType;

  constructor() {
    for (let i = 1; i <= LABEL_COLOUR_SLOTS; i++) {
      const colour = new vscode.ThemeColor(`clinicalModernbert.label.${i}`);
      this.slots.push(
        vscode.window.createTextEditorDecorationType({
          border: '1.5px solid',
          borderColor: colour,
          borderRadius: '3px',
          overviewRulerColor: colour,
          overviewRulerLane: vscode.OverviewRulerLane.Left,
          rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        }),
      );
    }
    const review = new vscode.ThemeColor(REVIEW_COLOUR);
    this.review = vscode.window.createTextEditorDecorationType({
      border: '1.5px dashed',
      borderColor: review,
      borderRadius: '3px',
      overviewRulerColor: review,
      overviewRulerLane: vscode.OverviewRulerLane.Right,
      after: { contentText: '?', color: review, fontWeight: 'bold', margin: '0 0 0 1px' },
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
  }

  apply(editor: vscode.TextEditor, spans: readonly NoteSpan[]): void {
    const doc = editor.document;
    const bySlot: vscode.Range[][] = this.slots.map(() => []);
    const review: vscode.Range[] = [];
    for (const s of spans) {
      const range = new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end));
      if (spanState(s) === 'ok') bySlot[labelColourSlot(s.label) - 1]!.push(range);
      else review.push(range);
    }
    this.slots.forEach((t, i) => editor.setDecorations(t, bySlot[i]!));
    editor.setDecorations(this.review, review);
  }

  clear(editor: vscode.TextEditor): void {
    for (const t of this.slots) editor.setDecorations(t, []);
    editor.setDecorations(this.review, []);
  }

  dispose(): void {
    for (const t of this.slots) t.dispose();
    this.review.dispose();
  }
}
