/**
 * "Build ICD Code Embeddings": embeds the codes of the chosen systems with the
 * loaded model, in the background with progress and cancel. With the real-size
 * model on a CPU this takes hours for a whole system, so the user picks the
 * systems, with the time each would take on this machine, before it starts;
 * ICD-10-CM is picked by default and its billable codes go first. A stopped
 * build goes on where it stopped the next time.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { readIcdSettings } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import type { EmbedPlan, IcdSystem } from '../../engine/icd/protocol';
import { INSTALL_COMMAND } from './hoverText';

interface SystemItem extends vscode.QuickPickItem {
  system?: IcdSystem;
  billableOnly?: boolean;
}

/** "2.1 h", "14 min", "40 s" */
export function roughDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** the picker's rows: one per installed system, then the billable-only switch */
export function planItems(plan: EmbedPlan): SystemItem[] {
  const items: SystemItem[] = plan.systems.map((s) => ({
    label: s.name,
    description: s.toEmbed
      ? `${s.toEmbed.toLocaleString('en-US')} of ${s.codes.toLocaleString('en-US')} codes to embed, about ${roughDuration(s.toEmbed * plan.secondsPerCode)} (billable only: ${roughDuration(s.toEmbedBillable * plan.secondsPerCode)})`
      : `all ${s.codes.toLocaleString('en-US')} codes embedded`,
    picked: s.system === 'icd10cm' && s.toEmbed > 0,
    system: s.system,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: 'Billable codes only', description: 'leave out headers (categories, PCS tables)', billableOnly: true, picked: false });
  return items;
}

export function buildEmbeddingsCommand(ctx: Ctx, onBuilt: () => void): () => Promise<void> {
  return async () => {
    try {
      await ctx.ensureModel();
    } catch (e) {
      void vscode.window.showErrorMessage(`ICD codes are embedded with the loaded model: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const template = readIcdSettings().embeddingTemplate || undefined;
    let plan: EmbedPlan;
    try {
      plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Timing the model on a sample of codes' }, () => ctx.client.request('icd.embedPlan', { template }));
    } catch (e) {
      void vscode.window.showErrorMessage(`ICD code embeddings: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (!plan.installed) {
      const install = 'Install ICD Code Sets';
      if ((await vscode.window.showInformationMessage('No ICD code sets are installed yet.', install)) === install) await vscode.commands.executeCommand(INSTALL_COMMAND);
      return;
    }
    const picked = await vscode.window.showQuickPick(planItems(plan), {
      canPickMany: true,
      title: `Embed ICD codes with ${plan.modelName}${plan.demo ? ' (a demo model: the map shows noise, suggestions stay words only)' : ''}`,
      placeHolder: 'Systems to embed (a stopped build goes on where it stopped)',
    });
    if (!picked) return;
    const systems = picked.filter((i) => i.system).map((i) => i.system!);
    if (!systems.length) return;
    const billableOnly = picked.some((i) => i.billableOnly);
    const todo = plan.systems.filter((s) => systems.includes(s.system)).reduce((n, s) => n + (billableOnly ? s.toEmbedBillable : s.toEmbed), 0);
    const title = `Embedding ${todo.toLocaleString('en-US')} ICD codes with ${plan.modelName} (about ${roughDuration(todo * plan.secondsPerCode)})`;
    try {
      const r = await withCancellableProgress(title, (signal, report) => ctx.client.request('icd.embed', { systems, billableOnly, template }, { signal, onProgress: report }));
      onBuilt();
      void vscode.window.showInformationMessage(
        `ICD code embeddings: ${r.embedded.toLocaleString('en-US')} embedded, ${r.kept.toLocaleString('en-US')} already current, in ${roughDuration(r.seconds)}.${plan.demo ? '' : ' Suggestions now use the encoder.'}`,
      );
    } catch (e) {
      if (e instanceof EngineError && e.code === 'cancelled') {
        onBuilt();
        void vscode.window.showInformationMessage('ICD code embedding stopped; what was embedded is kept, and the next build goes on from there.');
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      ctx.log('error', `ICD code embeddings: ${message}`);
      void vscode.window.showErrorMessage(`ICD code embeddings: ${message}`);
    }
  };
}
