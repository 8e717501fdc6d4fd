/**
 * Runs index updates in the engine for each workspace folder: full runs with a
 * cancellable progress notification, watcher runs quietly. Runs of one folder
 * are queued in the engine, so overlapping requests are safe.
 */
import * as vscode from 'vscode';
import { createHash } from 'node:crypto';
import type { Ctx } from '../../ctx';
import type { IndexUpdateResult } from '../../engine/index/protocol';
import { readSearchConfig } from '../../config';
import type { IndexStateTracker } from './indexState';
import { effectiveList, noticeOnce } from '../workspaceTrust';

export class IndexRunner {
  private indexedOnce = new Set<string>();
  private ensuring: Promise<void> | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly state: IndexStateTracker,
  ) {}

  /** the index database of a folder: in the workspace storage, never in the notes folder */
  dbPath(folder: vscode.WorkspaceFolder): string {
    const base = this.ctx.extension.storageUri ?? this.ctx.extension.globalStorageUri;
    const id = createHash('sha256').update(folder.uri.toString()).digest('hex').slice(0, 16);
    return vscode.Uri.joinPath(base, 'search', `${id}.sqlite`).fsPath;
  }

  folders(): vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  }

  /** settings or the model changed: the next search updates every folder first */
  invalidate(): void {
    this.indexedOnce.clear();
  }

  /** a first update of every folder, once per session, before the first search */
  ensureIndexed(): Promise<void> {
    // searches typed while the first update runs wait for it rather than start another
    if (!this.ensuring) {
      const todo = this.folders().filter((f) => !this.indexedOnce.has(f.uri.toString()));
      if (!todo.length) return Promise.resolve();
      this.ensuring = this.updateAll({ rebuild: false, notify: true, folders: todo }).finally(() => (this.ensuring = undefined));
    }
    return this.ensuring;
  }

  async updateAll(opts: { rebuild: boolean; notify: boolean; folders?: vscode.WorkspaceFolder[] }): Promise<void> {
    const folders = opts.folders ?? this.folders();
    if (!folders.length) {
      void vscode.window.showInformationMessage('Clinical Search needs a folder of notes: open a folder first.');
      return;
    }
    const title = opts.rebuild ? 'Rebuilding the notes index' : 'Indexing notes';
    const work = async (progress?: vscode.Progress<{ message?: string }>, token?: vscode.CancellationToken) => {
      for (const f of folders) {
        if (token?.isCancellationRequested) break;
        await this.run(f, { rebuild: opts.rebuild, progress, token, label: folders.length > 1 ? `${f.name}: ` : '' });
      }
    };
    if (opts.notify) {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (p, t) => work(p, t));
    } else await work();
  }

  /** changed files from the watcher (absolute paths) */
  async updatePaths(folder: vscode.WorkspaceFolder, paths: string[]): Promise<void> {
    if (!this.indexedOnce.has(folder.uri.toString())) return; // the first full run will see them
    await this.run(folder, { rebuild: false, paths, label: '' });
  }

  private async run(
    folder: vscode.WorkspaceFolder,
    o: { rebuild: boolean; paths?: string[]; progress?: vscode.Progress<{ message?: string }>; token?: vscode.CancellationToken; label: string },
  ): Promise<IndexUpdateResult | undefined> {
    const cfg = readSearchConfig();
    const ac = new AbortController();
    const sub = o.token?.onCancellationRequested(() => ac.abort());
    this.state.set({ kind: 'indexing', message: `${o.label}starting` });
    try {
      // the model loads lazily; without it the notes would be cut into word windows and redone once it loads
      await this.ctx.ensureModel().catch(() => undefined);
      const params = {
        folder: folder.uri.fsPath,
        dbPath: this.dbPath(folder),
        // in an untrusted workspace its own settings do not decide which files are read
        include: noticeOnce(effectiveList('search.include'), (m) => this.ctx.log('warn', m)).value,
        exclude: noticeOnce(effectiveList('search.exclude'), (m) => this.ctx.log('warn', m)).value,
        maxFileSizeMB: cfg.maxFileSizeMB,
      };
      const onProgress = (p: { message: string }) => {
        o.progress?.report({ message: o.label + p.message });
        this.state.set({ kind: 'indexing', message: o.label + p.message });
      };
      const r = o.rebuild
        ? await this.ctx.client.request('index.rebuild', params, { signal: ac.signal, onProgress })
        : await this.ctx.client.request('index.update', { ...params, paths: o.paths }, { signal: ac.signal, onProgress });
      if (r.notice) void vscode.window.showWarningMessage(`Clinical Search: ${r.notice}`);
      this.ctx.log(
        'info',
        `Search index ${folder.name}: ${r.indexed} indexed, ${r.unchanged} unchanged, ${r.removed} removed, ${r.skippedBinary} binary, ${r.skippedLarge} too large, ${r.unreadable} unreadable, ${r.badNames} with names not in UTF-8, ${r.notChecked} kept unchecked (folder unreadable), ${r.latin1} Latin-1, ${r.failed} failed in ${r.ms} ms`,
      );
      if (r.cancelled) {
        // no automatic restart this session: "Update Index" finishes it when the user wants
        this.indexedOnce.add(folder.uri.toString());
        this.state.set({ kind: 'cancelled' });
      }
      else {
        if (!o.paths) this.indexedOnce.add(folder.uri.toString());
        const stats = await this.ctx.client.request('index.stats', { folder: params.folder, dbPath: params.dbPath });
        this.state.set({ kind: 'ready', notes: stats.indexed, lexicalOnly: r.lexicalOnly, at: new Date() });
      }
      if (o.progress && (r.skippedBinary || r.skippedLarge || r.unreadable || r.badNames)) {
        void vscode.window.showInformationMessage(
          `Clinical Search: skipped ${r.skippedBinary} binary, ${r.skippedLarge} too large (over ${cfg.maxFileSizeMB} MB) and ${r.unreadable} unreadable files` +
            (r.badNames ? `, and ${r.badNames} whose names are not UTF-8 (rename them to index them; the log lists them)` : '') +
            (r.notChecked ? `; ${r.notChecked} notes in folders that could not be read were kept as they were.` : '.'),
        );
      }
      return r;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if ((e as { code?: string }).code === 'cancelled') this.state.set({ kind: 'cancelled' });
      else {
        this.ctx.log('error', `Search index ${folder.name}: ${message}`);
        this.state.set({ kind: 'error', message });
        if (o.progress) void vscode.window.showErrorMessage(`Clinical Search: ${message}`);
      }
      return undefined;
    } finally {
      sub?.dispose();
    }
  }
}
