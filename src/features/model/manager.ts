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
import { SECTION } from '../../config';

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

/** True when `p` lies inside one of the workspace folders. */
function insideWorkspace(p: string): boolean {
  const resolved = path.resolve(p);
  return (vscode.workspace.workspaceFolders ?? []).some((f) => {
    const rel = path.relative(f.uri.fsPath, resolved);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * The model folder to use. In an untrusted workspace a folder set by workspace
 * settings, or lying inside the workspace, is ignored: opening a folder must not
 * make the extension load (and so parse) files that folder supplies.
 */
export function chooseModelFolder(ctx: Ctx): ModelChoice {
  const configured = ctx.config().modelPath;
  const demo = path.join(ctx.extension.extensionUri.fsPath, 'models', 'demo');
  const fallback = fs.existsSync(path.join(demo, 'config.json')) ? demo : undefined;
  if (!configured) return { path: fallback };
  if (!vscode.workspace.isTrusted) {
    const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('modelPath');
    const fromWorkspace = inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
    if (fromWorkspace || insideWorkspace(configured)) {
      return { path: fallback, ignored: 'This workspace is not trusted, so the model folder it names is not loaded. Trust the workspace to use it.' };
    }
  }
  return { path: configured };
}

export class ModelManager implements vscode.Disposable {
  private state: ModelState = { kind: 'none', reason: 'No model folder is set.' };
  private loading: Promise<ModelInfo> | undefined;
  private readonly emitter = new vscode.EventEmitter<ModelState>();
  readonly onDidChange = this.emitter.event;
  private noticeShown = false;

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
    if (choice.ignored) {
      this.ctx.log('warn', choice.ignored);
      if (!this.noticeShown) {
        this.noticeShown = true;
        void vscode.window.showWarningMessage(`Clinical ModernBERT: ${choice.ignored}`);
      }
    }
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
