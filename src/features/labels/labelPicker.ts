/** The label QuickPick: recent labels first, then the project's others; typing a new name adds it. */
import * as vscode from 'vscode';
import { labelChoices, touchRecent, type LabelChoice } from './labelChoices';

interface Item extends vscode.QuickPickItem {
  choice?: LabelChoice;
  /** a fixed action (e.g. remove the note label) */
  action?: string;
}

export interface PickOptions {
  title: string;
  placeholder: string;
  /** workspaceState key of the recent list */
  recentKey: string;
  known: Iterable<string>;
  /** highlighted as the current value */
  current?: string;
  /** extra entries after the labels, returned by their `action` */
  actions?: Array<{ label: string; description?: string; action: string }>;
}

export type Picked = { label: string } | { action: string } | undefined;

export function pickLabel(state: vscode.Memento, opts: PickOptions): Promise<Picked> {
  const recent = state.get<string[]>(opts.recentKey, []);
  const known = [...opts.known];
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = opts.title;
  qp.placeholder = opts.placeholder;
  const items = (typed: string): Item[] => {
    const labels = labelChoices(recent, known, typed).map(
      (choice): Item => ({
        // the new-label entry does not match the typed text itself, so the filter lists the existing labels it matches first
        label: choice.isNew ? '$(add) New label' : choice.label,
        description: choice.isNew ? choice.label : choice.label === opts.current ? 'current' : choice.recent ? 'recent' : undefined,
        alwaysShow: choice.isNew,
        choice,
      }),
    );
    const actions = (opts.actions ?? []).map((a): Item => ({ label: a.label, description: a.description, action: a.action, alwaysShow: true }));
    return actions.length ? [...labels, { label: '', kind: vscode.QuickPickItemKind.Separator }, ...actions] : labels;
  };
  qp.items = items('');
  return new Promise<Picked>((resolve) => {
    let done = false;
    const finish = (v: Picked) => {
      if (done) return;
      done = true;
      resolve(v);
      qp.dispose();
    };
    qp.onDidChangeValue((v) => (qp.items = items(v)));
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (item?.action) return finish({ action: item.action });
      if (!item?.choice) return;
      void state.update(opts.recentKey, touchRecent(state.get<string[]>(opts.recentKey, []), item.choice.label));
      finish({ label: item.choice.label });
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
