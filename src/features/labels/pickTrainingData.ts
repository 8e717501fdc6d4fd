/**
 * The "what to train on" step that Train Head from Labels and Fine-tune Model
 * share: the workspace's labelled notes (when there are any for the task) or a
 * dataset file or folder; label changes still waiting for a save are offered
 * to be saved first.
 */
import * as vscode from 'vscode';
import type { LabelledDocument } from '../../engine/data/types';
import type { LabelFeatures } from './index';
import { taskWords } from '../training/progressText';

export interface PickedTrainingData {
  data?: string[];
  documents?: LabelledDocument[];
}

export interface TrainingDataWords {
  /** the QuickPick's title, e.g. "Train Head from Labels (2/4): data" */
  title: string;
  /** the verb on buttons: "Train", "Fine-tune" */
  verb: string;
}

export async function pickTrainingData(labels: LabelFeatures, task: 'ner' | 'classify', words: TrainingDataWords): Promise<PickedTrainingData | undefined> {
  const ws = await labels.trainingData(task);
  type Item = vscode.QuickPickItem & { choice: 'workspace' | 'files' };
  const items: Item[] = [];
  if (ws.notes > 0) {
    items.push({
      label: '$(files) Labelled notes in this workspace',
      description: `${ws.notes} note${ws.notes === 1 ? '' : 's'}`,
      detail: task === 'ner' ? 'every note with a .ann beside it' : 'the notes labels.csv / labels.jsonl name',
      choice: 'workspace',
    });
  }
  items.push({ label: '$(folder-opened) A dataset file or folder...', detail: 'CoNLL/IOB, brat folder, JSONL spans or labels, CSV text,label (docs/datasets.md)', choice: 'files' });
  const picked = await vscode.window.showQuickPick(items, {
    title: words.title,
    placeHolder: ws.notes ? 'What to train on (split 80/10/10 by note, seeded)' : `No notes of this workspace are labelled for ${taskWords(task)} yet: pick a dataset`,
  });
  if (!picked) return undefined;
  if (picked.choice === 'files') {
    const uris = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: `${words.verb} on these`, title: 'Labelled data' });
    return uris?.length ? { data: uris.map((u) => u.fsPath) } : undefined;
  }
  const unsaved = labels.unsavedLabels();
  if (unsaved.length) {
    const answer = await vscode.window.showWarningMessage(
      `${unsaved.length} note${unsaved.length === 1 ? ' has' : 's have'} label changes that are written when the note is saved.`,
      { modal: true },
      `Save and ${words.verb}`,
      `${words.verb} Without Them`,
    );
    if (!answer) return undefined;
    if (answer === `Save and ${words.verb}`) await Promise.all(unsaved.map((d) => d.save()));
  }
  const fresh = unsaved.length ? await labels.trainingData(task) : ws;
  return { data: fresh.data, documents: fresh.documents.length ? fresh.documents : undefined };
}
