/**
 * "Clinical: Fine-tune Model on Workstation...": the whole encoder fine-tuned
 * by the PyTorch companion on this machine (with VS Code Remote-SSH, the
 * workstation the window is connected to). Asks for the task, the data, the
 * output folder, epochs and device; finds Python (the clinicalModernbert.python
 * setting, else the Python extension's active environment, else discovery);
 * runs the companion as a child process of the extension host, never in the
 * engine worker, with a cancellable progress notification (cancel = SIGINT:
 * the companion saves a checkpoint, then Resume continues it); the engine
 * prepares the data and proves parity of the result (engine/finetune/run.ts);
 * and offers to use the fine-tuned model at once.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pickTrainingData } from '../labels/pickTrainingData';
import type { Ctx } from '../../ctx';
import { SECTION } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import { runFinetune, type FinetuneEngineCalls, type FinetuneOutcome, type FinetuneRequest } from '../../engine/finetune/run';
import type { LabelFeatures } from '../labels';
import type { ModelManager } from '../model/manager';
import { choosePython, defaultOutputName, describeEvent, headline, TRAINING_SHARE } from './progressText';
import { applyEvent, newLiveReport } from './reportHtml';
import { showLiveReport } from './reportPanel';

export const FINETUNE_COMMAND = 'clinicalModernbert.finetuneModel';
const DEFAULT_EPOCHS = 3;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The Python extension's active interpreter, when it is installed; every call guarded (it may be absent, inactive or change its API). */
async function activePythonEnvironment(ctx: Ctx): Promise<string | undefined> {
  try {
    const ext = vscode.extensions.getExtension('ms-python.python');
    if (!ext) return undefined;
    const api = (ext.isActive ? ext.exports : await ext.activate()) as {
      environments?: {
        getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined;
        resolveEnvironment?(env: unknown): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
      };
    } | undefined;
    const envs = api?.environments;
    const active = envs?.getActiveEnvironmentPath?.(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (!active?.path) return undefined;
    const resolved = await envs?.resolveEnvironment?.(active).catch(() => undefined);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch (e) {
    ctx.log('warn', `Fine-tune: the Python extension's active environment could not be read (${message(e)}); looking for Python elsewhere.`);
    return undefined;
  }
}

async function pickOutput(ctx: Ctx, modelName: string, task: 'ner' | 'classify'): Promise<string | undefined> {
  const suggested = path.join(ctx.extension.globalStorageUri.fsPath, 'finetuned', defaultOutputName(modelName, task));
  const picked = await vscode.window.showQuickPick(
    [
      { label: '$(folder) In the extension\'s storage', description: suggested, out: suggested },
      { label: '$(folder-opened) Choose a folder...', detail: 'a new or empty folder' },
    ],
    { title: 'Fine-tune Model (3/5): output folder', placeHolder: 'Where the fine-tuned model goes (a Hugging Face folder)' },
  );
  if (!picked) return undefined;
  if ('out' in picked && picked.out) return picked.out;
  const uris = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: 'Write the model here', title: 'Folder for the fine-tuned model' });
  return uris?.[0]?.fsPath;
}

export function registerFinetuneFeatures(ctx: Ctx, models: ModelManager, labels: LabelFeatures): void {
  let running = false;

  const calls: FinetuneEngineCalls = {
    prepare: (params, signal) => ctx.client.request('finetune.prepare', params, { signal }),
    verify: (params, signal, progress) => ctx.client.request('finetune.verify', params, { signal, onProgress: (p) => progress(p.message) }),
  };

  const useModel = async (dir: string) => {
    await vscode.workspace.getConfiguration(SECTION).update('modelPath', dir, vscode.ConfigurationTarget.Global);
    models.refresh();
    const info = await models.ensureLoaded();
    void vscode.window.showInformationMessage(`Clinical ModernBERT: the fine-tuned model is loaded on ${info.provider}.`);
  };

  const run = async (request: FinetuneRequest): Promise<void> => {
    running = true;
    const live = newLiveReport(request.task, request.model, path.resolve(request.out));
    const panel = showLiveReport(ctx.extension.extensionUri, live, { use: () => useModel(live.out), metricsFile: path.join(live.out, 'metrics.json') });
    let outcome: FinetuneOutcome;
    try {
      outcome = await withCancellableProgress(
        request.resume ? 'Resuming the fine-tune' : 'Fine-tuning',
        async (signal, report) => {
          try {
            return await runFinetune(request, calls, {
              phase: (m) => {
                ctx.log('info', `Fine-tune: ${m}`);
                report({ message: m });
                live.status = m;
                panel.update();
              },
              python: (py) => ctx.log('info', `Fine-tune: ${py.executable} (Python ${py.python}, PyTorch ${py.torch}); CUDA ${py.cuda ? 'available' : `not available: ${py.cudaReason ?? 'unknown'}`}.${py.skipped.length ? ` Passed over: ${py.skipped.map((s) => `${s.command} ${s.problem}`).join('; ')}.` : ''}`),
              prepared: (r) => {
                for (const w of r.warnings) ctx.log('warn', `Fine-tune: ${w}`);
                ctx.log('info', `Fine-tune: ${Object.entries(r.splits).map(([n, s]) => `${n} ${s.documents} notes (${s.windows} windows)`).join(', ')}; labels ${r.labels.join(', ')}.`);
              },
              event: (e) => {
                if (e.event === 'info' && typeof e['message'] === 'string') ctx.log('info', `Fine-tune: ${e['message']}`);
                if (applyEvent(live, e)) panel.update(e.event === 'eval');
                const line = describeEvent(e, request.task);
                if (!line) return;
                if (e.event === 'eval') ctx.log('info', `Fine-tune: ${line.message}`);
                report({ message: line.message, fraction: line.percent !== undefined ? line.percent / 100 : undefined });
              },
              stderr: (l) => ctx.log('info', `Fine-tune companion: ${l}`),
            }, signal);
          } finally {
            report({ fraction: TRAINING_SHARE / 100 });
          }
        },
        {
          onCancel: (report) => {
            ctx.log('info', 'Fine-tune: cancel asked; the companion saves a checkpoint first.');
            report({ message: 'Stopping: saving a checkpoint...' });
          },
        },
      );
    } catch (e) {
      live.state = e instanceof EngineError && (e.code === 'interrupted' || e.code === 'cancelled') ? 'stopped' : 'failed';
      live.problem = message(e);
      panel.update(true);
      if (e instanceof EngineError && (e.code === 'interrupted' || e.code === 'cancelled')) {
        ctx.log('info', `Fine-tune: ${e.message}`);
        if (e.code === 'cancelled') {
          void vscode.window.showInformationMessage(`Clinical ModernBERT: ${e.message}`);
          return;
        }
        const answer = await vscode.window.showInformationMessage(`Clinical ModernBERT: ${e.message}`, 'Resume');
        if (answer === 'Resume') await run({ ...request, resume: true });
        return;
      }
      ctx.log('error', `Fine-tune: ${message(e)}`);
      const actions = e instanceof EngineError && (e.code === 'no-python' || e.code === 'no-torch') ? ['Set Python Path'] : [];
      const answer = await vscode.window.showErrorMessage(`Clinical ModernBERT: ${message(e)}`, ...actions);
      if (answer === 'Set Python Path') void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.python`);
      return;
    } finally {
      running = false;
    }
    const v = outcome.verified;
    live.state = 'done';
    live.verified = v;
    live.status = headline(v.figures);
    panel.update(true);
    for (const w of v.warnings) ctx.log('warn', `Fine-tune: ${w}`);
    ctx.log('info', `Fine-tune: ${outcome.out}: ${headline(v.figures)}; parity with PyTorch ${v.parity.max_abs_diff.toExponential(1)} (limit ${v.parity.tolerance}); the companion's figures agree within ${v.agreement.max_diff.toExponential(1)}.`);
    const answer = await vscode.window.showInformationMessage(
      `Clinical ModernBERT: fine-tuned model ready: ${headline(v.figures)}. It gives PyTorch's logits within ${v.parity.max_abs_diff.toExponential(1)}.`,
      'Use the fine-tuned model now',
      'Open metrics.json',
    );
    if (answer === 'Use the fine-tuned model now') {
      try {
        await useModel(outcome.out);
        live.inUse = true;
        panel.update(true);
      } catch (e) {
        void vscode.window.showErrorMessage(`Clinical ModernBERT: the fine-tuned model in ${outcome.out} did not load: ${message(e)}`);
      }
    } else if (answer === 'Open metrics.json') {
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(outcome.out, 'metrics.json')), { preview: true });
    }
  };

  const start = async () => {
    if (running) {
      void vscode.window.showInformationMessage('Clinical ModernBERT: a fine-tune is running; cancel it from its notification to start another.');
      return;
    }
    try {
      const info = await ctx.ensureModel();
      const task = (
        await vscode.window.showQuickPick(
          [
            { label: '$(symbol-field) Entities', description: 'token classification, from labelled spans', task: 'ner' as const },
            { label: '$(tag) Note classification', description: 'a label per note', task: 'classify' as const },
          ],
          { title: `Fine-tune Model (1/5): task (fine-tunes ${info.name})`, placeHolder: 'What the fine-tuned model will do' },
        )
      )?.task;
      if (!task) return;
      const data = await pickTrainingData(labels, task, { title: 'Fine-tune Model (2/5): labelled notes', verb: 'Fine-tune' });
      if (!data) return;
      const out = await pickOutput(ctx, info.name, task);
      if (!out) return;
      const epochs = await vscode.window.showInputBox({
        title: 'Fine-tune Model (4/5): epochs',
        prompt: 'At most this many passes over the training notes; training stops earlier when the dev score stops improving',
        value: String(DEFAULT_EPOCHS),
        validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 100 ? undefined : 'A whole number from 1 to 100.'),
      });
      if (!epochs) return;
      const device = (
        await vscode.window.showQuickPick(
          [
            { label: 'Auto', description: 'a CUDA GPU when PyTorch can use one, else the CPU', device: 'auto' as const },
            { label: 'CUDA GPU', description: 'refused, with the reason, when PyTorch cannot use CUDA', device: 'cuda' as const },
            { label: 'CPU', description: 'slow for real models; fine for small ones', device: 'cpu' as const },
          ],
          { title: 'Fine-tune Model (5/5): device', placeHolder: 'Where PyTorch trains' },
        )
      )?.device;
      if (!device) return;
      const setting = vscode.workspace.getConfiguration(SECTION).get<string>('python', '');
      const choice = choosePython(setting, setting ? undefined : await activePythonEnvironment(ctx));
      ctx.log('info', `Fine-tune: Python from ${choice.source}${choice.python ? ` (${choice.python})` : ''}.`);
      const engine = ctx.config().engine;
      await run({
        model: info.path,
        out,
        task,
        ...data,
        epochs: Number(epochs.trim()),
        device,
        maxTokens: engine.windowTokens,
        stride: engine.windowStride,
        python: choice.python,
        pythonOnly: choice.pythonOnly,
        resumeHint: 'Choose Resume to continue it.',
      });
    } catch (e) {
      running = false;
      ctx.log('error', `Fine-tune: ${message(e)}`);
      void vscode.window.showErrorMessage(`Clinical ModernBERT: ${message(e)}`);
    }
  };

  ctx.push(vscode.commands.registerCommand(FINETUNE_COMMAND, start));
}
