import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // filled in by the engine client and features
}

export function deactivate(): void {}
