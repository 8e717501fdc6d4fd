/**
 * "Clinical: Train Head from Labels...": picks the task, the data (the
 * workspace's labelled notes, or any dataset file or folder), the head's name
 * and epochs; trains in the engine worker (train.run) with a cancellable
 * progress notification (epoch, loss, dev score, time left); shows the
 * training report; and offers to use the new head at once, which sets
 * clinicalModernbert.tokenHead (or sequenceHead) and reloads the model without
 * a restart. "Clinical: Show Training Report..." opens the report of any head
 * trained here.
 */
import * as vscode from 'vscode';
import { pickTrainingData } from '../labels/pickTrainingData';
import type { Ctx } from '../../ctx';
import { useTaskHead } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import type { TrainParams, TrainTask } from '../../engine/train/protocol';
import type { LabelFeatures } from '../labels';
import type { ModelManager } from '../model/manager';
import { describeProgress, headline, taskWords } from './progressText';
import { showReport } from './reportPanel';

export const TRAIN_COMMAND = 'clinicalModernbert.trainHead';
export const SHOW_REPORT_COMMAND = 'clinicalModernbert.showTrainingReport';

/** The engine's rule for head folder names (src/engine/model/headFolder.ts checks it again). */
const HEAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEFAULT_EPOCHS = 20;


export function registerTrainingFeatures(ctx: Ctx, models: ModelManager, labels: LabelFeatures): void {
  let running = false;

  const fail = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log('error', `Training: ${message}`);
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${message}`);
  };

  const inUse = (task: TrainTask, name: string) => {
    const engine = ctx.config().engine;
    return (task === 'ner' ? engine.tokenHead : engine.sequenceHead) === name;
  };

  /** Makes `name` the head of its task and reloads the model (no restart). */
  const use = async (task: TrainTask, name: string) => {
    await useTaskHead(task === 'ner' ? 'tokenHead' : 'sequenceHead', name);
    models.refresh();
    await models.ensureLoaded();
    ctx.log('info', `Training: head ${name} is used for ${taskWords(task)}.`);
  };

  const openMarkdown = async (head: string) => {
    const { markdown } = await ctx.client.request('train.report', { head });
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
    await vscode.window.showTextDocument(doc, { preview: true });
  };

  const report = (head: string, dir: string, metrics: Parameters<typeof showReport>[1], warnings: readonly string[] = []) =>
    showReport(ctx.extension.extensionUri, metrics, {
      use: () => use(metrics.task, head),
      markdown: () => openMarkdown(head),
      metricsFile: vscode.Uri.joinPath(vscode.Uri.file(dir), 'metrics.json').fsPath,
      inUse: () => inUse(metrics.task, head),
    }, warnings);

  const train = async () => {
    if (running) {
      void vscode.window.showInformationMessage('Clinical ModernBERT: a head is being trained; cancel it from its notification to start another.');
      return;
    }
    try {
      const task = (
        await vscode.window.showQuickPick(
          [
            { label: '$(symbol-field) Entities', description: 'a token head, from labelled spans', task: 'ner' as const },
            { label: '$(tag) Note classification', description: 'a sequence head, from note labels', task: 'classify' as const },
          ],
          { title: 'Train Head from Labels (1/4): task', placeHolder: 'What the head will do' },
        )
      )?.task;
      if (!task) return;
      const data = await pickTrainingData(labels, task, { title: 'Train Head from Labels (2/4): data', verb: 'Train' });
      if (!data) return;
      const info = await ctx.ensureModel();
      const existing = new Set((info.taskHeads ?? []).map((h) => h.name));
      const base = task === 'ner' ? 'entities' : 'notes';
      let suggestion = base;
      for (let k = 2; existing.has(suggestion); k++) suggestion = `${base}-${k}`;
      const name = await vscode.window.showInputBox({
        title: 'Train Head from Labels (3/4): name',
        prompt: `The head is written to heads/NAME in the model folder (${info.name})`,
        value: suggestion,
        validateInput: (v) => (HEAD_NAME.test(v.trim()) ? undefined : 'Letters, digits, dot, dash and underscore; up to 64, starting with a letter or digit.'),
      });
      if (!name) return;
      const head = name.trim();
      let replace = false;
      if (existing.has(head)) {
        const answer = await vscode.window.showWarningMessage(`The model already has a head named ${head}.`, { modal: true }, 'Replace It');
        if (answer !== 'Replace It') return;
        replace = true;
      }
      const epochsText = await vscode.window.showInputBox({
        title: 'Train Head from Labels (4/4): epochs',
        prompt: 'At most this many passes over the training notes; training stops earlier when the dev score stops improving',
        value: String(DEFAULT_EPOCHS),
        validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 1000 ? undefined : 'A whole number from 1 to 1000.'),
      });
      if (!epochsText) return;
      const params: TrainParams = { task, ...data, name: head, replace, epochs: Number(epochsText.trim()) };
      running = true;
      let result;
      try {
        result = await withCancellableProgress(`Training head ${head}`, (signal, report) =>
          ctx.client.request('train.run', params, { signal, onProgress: (p) => report({ message: describeProgress(p, task), fraction: p.fraction }) }),
        );
      } finally {
        running = false;
      }
      for (const w of result.warnings) ctx.log('warn', `Training: ${w}`);
      const m = result.metrics;
      ctx.log('info', `Training: head ${head} written to ${result.dir}: ${headline(m.test)}; ${m.split.train}/${m.split.dev}/${m.split.test} notes; ${m.history.length} epochs.`);
      // the loaded model does not know the new head yet: the next use reloads it
      models.refresh();
      const panel = report(head, result.dir, m, result.warnings);
      const answer = await vscode.window.showInformationMessage(
        `Head ${head} trained: ${headline(m.test)}${m.demo ? ' (demo encoder: the figures measure the plumbing)' : ''}. Use head ${head} for ${taskWords(task)} now?`,
        'Use',
        'Not Now',
      );
      if (answer === 'Use') {
        await use(task, head);
        try {
          // the report, if still open, stops offering the button
          void panel.webview.postMessage({ command: 'inUse', text: `In use for ${taskWords(task)}` }).then(undefined, () => undefined);
        } catch {
          // the report was closed
        }
      }
    } catch (e) {
      running = false;
      if (e instanceof EngineError && e.code === 'cancelled') {
        void vscode.window.showInformationMessage('Clinical ModernBERT: training cancelled; nothing was written.');
        return;
      }
      fail(e);
    }
  };

  const showTrainingReport = async () => {
    try {
      const info = await ctx.ensureModel();
      const heads = info.taskHeads ?? [];
      if (!heads.length) {
        void vscode.window.showInformationMessage(`Clinical ModernBERT: the model ${info.name} has no head folders yet: run "Clinical: Train Head from Labels...".`);
        return;
      }
      const picked = await vscode.window.showQuickPick(
        heads.map((h) => ({ label: h.name, description: h.task === 'token' ? 'entities' : 'note classification' })),
        { title: 'Show Training Report', placeHolder: 'A head of the loaded model' },
      );
      if (!picked) return;
      const r = await ctx.client.request('train.report', { head: picked.label });
      report(picked.label, vscode.Uri.joinPath(vscode.Uri.file(info.path), 'heads', picked.label).fsPath, r.metrics);
    } catch (e) {
      fail(e);
    }
  };

  ctx.push(vscode.commands.registerCommand(TRAIN_COMMAND, train), vscode.commands.registerCommand(SHOW_REPORT_COMMAND, showTrainingReport));
}
