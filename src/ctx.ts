/**
 * The one context object: owns the engine client, the output channel and every
 * disposable. Features receive it in their register function.
 */
import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { readConfig, type Config } from './config';
import type { ModelInfo } from './engine/coreProtocol';
import { EngineError } from './engine/errors';

export class Ctx implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  readonly client: EngineClient;
  private readonly disposables: vscode.Disposable[] = [];
  /**
   * Loads the model on first use (set by activate to the model manager's);
   * features that need the model call it before their request.
   */
  ensureModel: () => Promise<ModelInfo> = () => Promise.reject(new EngineError('not-loaded', 'No model is loaded.'));

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Clinical ModernBERT', { log: true });
    this.client = new EngineClient(vscode.Uri.joinPath(extension.extensionUri, 'dist', 'engineWorker.js').fsPath, {
      log: (level, message) => this.log(level, message),
      crashed: (reason) => {
        this.log('error', reason);
        void vscode.window.showWarningMessage(`Clinical ModernBERT: ${reason} It has been restarted.`);
      },
    }, { storageDir: extension.globalStorageUri.fsPath });
  }

  /** The settings, with converted ONNX files cached in the extension's storage (a model folder may be read-only). */
  config(): Config {
    const c = readConfig();
    for (const notice of c.notices) this.log('warn', notice);
    c.engine.cacheDir = vscode.Uri.joinPath(this.extension.globalStorageUri, 'onnx-cache').fsPath;
    return c;
  }

  /** Log lines carry no note text: callers pass counts, paths and error messages only. */
  log(level: 'info' | 'warn' | 'error', message: string): void {
    if (level === 'error') this.output.error(message);
    else if (level === 'warn') this.output.warn(message);
    else this.output.info(message);
  }

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    void this.client.dispose();
    this.output.dispose();
  }
}
