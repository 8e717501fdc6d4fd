/**
 * Work behind a cancellable progress notification: Cancel aborts the signal
 * the work is given (engine requests then reject with 'cancelled'), and the
 * steps it reports move the bar forward (forwardProgress.ts). What a feature
 * says when the work is cancelled or fails stays with the feature.
 */
import * as vscode from 'vscode';
import { forwardProgress, type ProgressStep } from './forwardProgress';

export interface CancellableWork<T> {
  (signal: AbortSignal, report: (step: ProgressStep) => void): Promise<T>;
}

export function withCancellableProgress<T>(title: string, work: CancellableWork<T>, opts: { onCancel?: (report: (step: ProgressStep) => void) => void } = {}): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      const report = forwardProgress((p) => progress.report(p));
      const sub = token.onCancellationRequested(() => {
        opts.onCancel?.(report);
        controller.abort();
      });
      try {
        return await work(controller.signal, report);
      } finally {
        sub.dispose();
      }
    }),
  );
}
