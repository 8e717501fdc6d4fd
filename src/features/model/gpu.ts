/**
 * "Clinical: Set Up GPU Acceleration": the diagnosis (with a test session on
 * each GPU provider), the CUDA provider's installation into storage (from the
 * package feed or a downloaded .nupkg), and the reload that lets the engine
 * start with it. After that reload the provider in use is reported once; a
 * CUDA that was set up and still falls back is reported once per window.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { readNetworkSettings } from '../../config';
import { EngineError } from '../../engine/errors';
import { withCancellableProgress } from '../cancellableProgress';
import type { GpuReport, InstallCudaRequest } from '../../engine/model/gpu/protocol';
import type { ModelManager } from './manager';
import { reportRows, reportText, unexpectedFallback } from './gpuReportText';

/** set before a reload that is meant to start CUDA, so the next window says what happened */
const JUST_SET_UP = 'clinicalModernbert.gpu.justSetUp';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function diagnose(ctx: Ctx): Promise<GpuReport | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Clinical ModernBERT: checking GPU acceleration' }, () =>
      ctx.client.request('gpu.diagnose', { probe: true }),
    );
  } catch (e) {
    void vscode.window.showErrorMessage(`Clinical ModernBERT: the GPU check failed: ${errorMessage(e)}`);
    return undefined;
  }
}

async function install(ctx: Ctx, models: ModelManager, req: InstallCudaRequest): Promise<void> {
  const net = readNetworkSettings();
  try {
    const r = await withCancellableProgress('Clinical ModernBERT: setting up CUDA', (signal, report) =>
      ctx.client.request('gpu.install', { ...req, feed: req.feed ?? (net.packageFeed || undefined), proxy: net.proxy, noProxy: net.noProxy }, { signal, onProgress: report }),
    );
    const how = r.verified === 'feed-sha512' ? 'SHA-512 checked against the package feed' : `from a local file; its SHA-512 is ${r.sha512Base64}`;
    ctx.log('info', `CUDA provider set up in ${r.dir} (${how}).`);
    if (r.reloadNeeded) {
      await ctx.extension.globalState.update(JUST_SET_UP, true);
      const pick = await vscode.window.showInformationMessage(`Clinical ModernBERT: the CUDA provider is set up (${r.package}). Reload the window so the engine starts with it.`, 'Reload Window');
      if (pick) await vscode.commands.executeCommand('workbench.action.reloadWindow');
      return;
    }
    await ctx.client.restart();
    models.refresh();
    const info = await models.ensureLoaded();
    void vscode.window.showInformationMessage(`Clinical ModernBERT: the CUDA provider is set up; the model runs on ${info.provider}.`);
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') {
      void vscode.window.showInformationMessage('Clinical ModernBERT: CUDA setup cancelled; run it again to resume the download.');
      return;
    }
    ctx.log('error', `CUDA setup failed: ${errorMessage(e)}`);
    void vscode.window.showErrorMessage(`Clinical ModernBERT: ${errorMessage(e)}`);
  }
}

export async function setUpGpu(ctx: Ctx, models: ModelManager): Promise<void> {
  const report = await diagnose(ctx);
  if (!report) return;
  ctx.log('info', `GPU check:\n${reportText(report)}`);
  const linux64 = report.cuda.platform === 'linux-x64';
  const actions: Array<vscode.QuickPickItem & { run?: () => Promise<void> }> = [];
  if (linux64 && !report.cuda.reloadNeeded) {
    actions.push({
      label: `$(cloud-download) ${report.cuda.providerInstalled ? 'Set up the CUDA provider again' : 'Set up the CUDA provider'}`,
      detail: `downloads ${report.cuda.package ?? 'the provider libraries'} from ${readNetworkSettings().packageFeed || 'nuget.org'} (a few hundred MB) into the extension's storage`,
      run: () => install(ctx, models, {}),
    });
    actions.push({
      label: '$(file-zip) Set up from a downloaded package file...',
      detail: `for machines without internet: the .nupkg of ${report.cuda.package ?? 'the CUDA package'}`,
      run: async () => {
        const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, filters: { 'NuGet package': ['nupkg'] }, openLabel: 'Set up CUDA from this package' });
        if (picked?.[0]) await install(ctx, models, { from: picked[0].fsPath });
      },
    });
  }
  if (report.cuda.reloadNeeded) actions.push({ label: '$(refresh) Reload the window to start the engine with CUDA', run: async () => void (await vscode.commands.executeCommand('workbench.action.reloadWindow')) });
  actions.push({ label: '$(copy) Copy this report', run: async () => void (await vscode.env.clipboard.writeText(reportText(report))) });
  const items: Array<vscode.QuickPickItem & { run?: () => Promise<void> }> = [
    ...actions,
    ...reportRows(report).map((r) => (r.heading ? { label: r.label, kind: vscode.QuickPickItemKind.Separator } : { label: r.label, description: r.description, detail: r.detail })),
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Clinical ModernBERT: GPU acceleration', placeHolder: report.cuda.usable ? 'CUDA works here' : 'What each provider needs, and what to do', matchOnDetail: true });
  await pick?.run?.();
}

/** After a reload meant to start CUDA, and whenever CUDA was expected but fell back: say which provider runs, once. */
export function watchProvider(ctx: Ctx, models: ModelManager): vscode.Disposable {
  let warned = false;
  return models.onDidChange(async (s) => {
    if (s.kind !== 'loaded') return;
    if (ctx.extension.globalState.get<boolean>(JUST_SET_UP)) {
      await ctx.extension.globalState.update(JUST_SET_UP, undefined);
      const cuda = s.info.providerFailures.find((f) => f.provider === 'cuda');
      if (s.info.provider === 'cuda') void vscode.window.showInformationMessage('Clinical ModernBERT: the model runs on CUDA.');
      else {
        warned = true;
        const pick = await vscode.window.showWarningMessage(`Clinical ModernBERT: CUDA is set up but the model runs on ${s.info.provider}${cuda ? `: ${cuda.reason}` : ''}.`, 'Check GPU Acceleration');
        if (pick) await setUpGpu(ctx, models);
      }
      return;
    }
    const notice = unexpectedFallback(s.info);
    if (notice && !warned) {
      warned = true;
      ctx.log('warn', notice);
      const pick = await vscode.window.showWarningMessage(`Clinical ModernBERT: ${notice}`, 'Check GPU Acceleration');
      if (pick) await setUpGpu(ctx, models);
    }
  });
}

export function registerGpuCommands(ctx: Ctx, models: ModelManager): void {
  ctx.push(vscode.commands.registerCommand('clinicalModernbert.setUpGpu', () => setUpGpu(ctx, models)), watchProvider(ctx, models));
}
