/**
 * Watches each workspace folder and sends changed paths to the index in
 * batches (a save storm or a git checkout becomes one update).
 */
import * as vscode from 'vscode';
import type { IndexRunner } from './indexRunner';

const DEBOUNCE_MS = 750;

export function watchNotes(runner: IndexRunner): vscode.Disposable {
  const pending = new Map<string, { folder: vscode.WorkspaceFolder; paths: Set<string> }>();
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    const batches = [...pending.values()];
    pending.clear();
    for (const b of batches) void runner.updatePaths(b.folder, [...b.paths]);
  };
  const queue = (uri: vscode.Uri) => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || uri.scheme !== 'file') return;
    // version-control and dependency churn never holds notes; the engine applies the exclude globs to the rest
    if (/[\\/](\.git|\.hg|\.svn|node_modules)([\\/]|$)/.test(uri.fsPath)) return;
    const key = folder.uri.toString();
    let b = pending.get(key);
    if (!b) pending.set(key, (b = { folder, paths: new Set() }));
    b.paths.add(uri.fsPath);
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, DEBOUNCE_MS);
  };

  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  return vscode.Disposable.from(
    watcher,
    watcher.onDidCreate(queue),
    watcher.onDidChange(queue),
    watcher.onDidDelete(queue),
    // a rename arrives as delete + create from the watcher; renames made inside VS Code are reported here too
    vscode.workspace.onDidRenameFiles((e) => {
      for (const f of e.files) {
        queue(f.oldUri);
        queue(f.newUri);
      }
    }),
    { dispose: () => timer && clearTimeout(timer) },
  );
}
