/**
 * "Find ICD Code...": a QuickPick that searches codes and descriptions as the
 * user types; the chosen code is inserted at the cursor(s).
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { CodeInfo } from '../../engine/icd/protocol';
import { INSTALL_COMMAND } from './hoverText';

interface CodeItem extends vscode.QuickPickItem {
  code?: CodeInfo;
}

export function findCodeCommand(ctx: Ctx): () => Promise<void> {
  return async () => {
    const editor = vscode.window.activeTextEditor;
    const qp = vscode.window.createQuickPick<CodeItem>();
    qp.placeholder = 'Type a code (E11.9, 250.00, 0DTJ4ZZ) or words (type 2 diabetes)';
    qp.matchOnDescription = false;
    qp.matchOnDetail = false;
    let current: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;

    const search = (query: string) => {
      current?.abort();
      if (!query.trim()) {
        qp.items = [];
        return;
      }
      const controller = new AbortController();
      current = controller;
      qp.busy = true;
      ctx.client
        .request('icd.search', { query, limit: 50 }, { signal: controller.signal })
        .then((r) => {
          if (controller.signal.aborted) return;
          if (!r.installed) {
            qp.items = [{ label: '$(cloud-download) Install ICD code sets to search', alwaysShow: true, detail: 'Runs "Clinical: Install ICD Code Sets"' }];
            return;
          }
          // alwaysShow: the engine already matched; QuickPick's own filter would hide word matches
          qp.items = r.items.map((code) => ({
            label: code.display,
            description: code.description ?? '',
            detail: `${code.systemName}${code.billable === false ? ' · header, not billable' : ''}`,
            alwaysShow: true,
            code,
          }));
        })
        .catch((e: unknown) => {
          if (!controller.signal.aborted) ctx.log('warn', `ICD search failed: ${(e as Error).message}`);
        })
        .finally(() => {
          if (current === controller) qp.busy = false;
        });
    };

    qp.onDidChangeValue((v) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => search(v), 60);
    });
    qp.onDidAccept(async () => {
      const item = qp.selectedItems[0];
      qp.hide();
      if (!item) return;
      if (!item.code) {
        await vscode.commands.executeCommand(INSTALL_COMMAND);
        return;
      }
      const target = vscode.window.activeTextEditor ?? editor;
      if (!target) {
        await vscode.env.clipboard.writeText(item.code.display);
        void vscode.window.showInformationMessage(`${item.code.display} copied to the clipboard (no editor is open).`);
        return;
      }
      const text = item.code.display;
      await target.edit((b) => {
        for (const sel of target.selections) b.replace(sel, text);
      });
    });
    qp.onDidHide(() => {
      current?.abort();
      if (timer) clearTimeout(timer);
      qp.dispose();
    });
    qp.show();
  };
}
