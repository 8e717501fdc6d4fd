/**
 * Which model folder is in use and whether it is loaded. Loading is lazy: the
 * first feature that needs the model calls ensureLoaded(); activation loads
 * nothing. Listeners (the status bar) hear every state change.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { ModelInfo } from '../../engine/coreProtocol';
import { EngineError } from '../../engine/errors';
import { effectiveModelPath, noticeOnce } from '../workspaceTrust';

export type ModelState =
  | { kind: 'none'; reason: string }
  | { kind: 'idle'; path: string }
  | { kind: 'loading'; path: string }
  | { kind: 'loaded'; info: ModelInfo }
  | { kind: 'error'; path: string; message: string };

export interface ModelChoice {
  path: string | undefined;
  /** why a configured folder is not used (untrusted workspace), shown once */
  ignored?: string;
}

/**
 * The model folder to use. In an untrusted workspace a folder set by workspace
 * settings, or lying inside the workspace, is ignored (workspaceTrust.ts):
 * opening a folder must not make the extension load (and so parse) files that
 * folder supplies. Without a setting, the bundled demo model when present.
 */
export function chooseModelFolder(ctx: Ctx): ModelChoice {
  const demo = path.join(ctx.extension.extensionUri.fsPath, 'models', 'demo');
  const fallback = fs.existsSync(path.join(demo, 'config.json')) ? demo : undefined;
  const chosen = effectiveModelPath();
  return { path: chosen.path || fallback, ignored: chosen.ignoredReason };
}

export class ModelManager implements vscode.Disposable {
  private state: ModelState = { kind: 'none', reason: 'No model folder is set.' };
  private loading: Promise<ModelInfo> | undefined;
  private readonly emitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly ctx: Ctx) {
    this.refresh();
    ctx.client.onRestart(() => this.refresh());
  }

  current(): ModelState {
    return this.state;
  }

  /** Re-reads the settings; an already loaded model is dropped if its folder changed. */
  refresh(): void {
    const choice = chooseModelFolder(this.ctx);
    if (choice.ignored) noticeOnce({ path: '', ignoredReason: choice.ignored }, (m) => this.ctx.log('warn', m));
    this.loading = undefined;
    this.set(choice.path ? { kind: 'idle', path: choice.path } : { kind: 'none', reason: 'No model folder is set.' });
  }

  /** Loads the model on first use (with a progress notification); later calls return at once. */
  ensureLoaded(): Promise<ModelInfo> {
    if (this.state.kind === 'loaded') return Promise.resolve(this.state.info);
    if (this.loading) return this.loading;
    if (this.state.kind === 'none') {
      return Promise.reject(new EngineError('not-loaded', 'No model folder is set. Run "Clinical: Choose Model Folder..." or set clinicalModernbert.modelPath.'));
    }
    const modelPath = this.state.path;
    const settings = this.ctx.config().engine;
    this.set({ kind: 'loading', path: modelPath });
    const loading = Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Clinical ModernBERT: loading model' },
        (progress) =>
          this.ctx.client.request('model.load', { path: modelPath, settings }, {
            onProgress: (p) => progress.report({ message: p.message }),
          }),
      ),
    ).then(
      (info) => {
        if (this.loading === loading) this.set({ kind: 'loaded', info });
        return info;
      },
      (e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        if (this.loading === loading) {
          this.loading = undefined;
          this.set({ kind: 'error', path: modelPath, message });
        }
        this.ctx.log('error', `Model load failed: ${message}`);
        throw e;
      },
    );
    this.loading = loading;
    return loading;
  }

  private set(s: ModelState): void {
    this.state = s;
    this.emitter.fire(s);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
