/**
 * The shell every webview page of the extension shares (search view, ICD map,
 * training and fine-tune reports): a content security policy that allows the
 * page's own stylesheet and the one script carrying a fresh nonce, and nothing
 * from anywhere else (no inline styles or scripts, no network); then the
 * stylesheet, the title, the page's body and its script. Free of the VS Code
 * API at run time, so the pages are tested in plain Node.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

/** What a page loads, as the webview names it. */
export interface PageAssets {
  /** the webview's cspSource */
  cspSource: string;
  nonce: string;
  styleUri: string;
  scriptUri: string;
}

export interface PageContent {
  /** plain text: escaped here */
  title: string;
  /** the page's HTML, everything inside <body> but the script */
  body: string;
  /** images from the extension's own files (the reports allow them; the search view and the map do not) */
  imagesFromExtension?: boolean;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** A nonce for one rendering of a page. */
export function newNonce(): string {
  return randomBytes(24).toString('base64url');
}

/** The assets of a page whose stylesheet and script are the given files of the extension. */
export function pageAssets(webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>, style: vscode.Uri, script: vscode.Uri): PageAssets {
  return { cspSource: webview.cspSource, nonce: newNonce(), styleUri: webview.asWebviewUri(style).toString(), scriptUri: webview.asWebviewUri(script).toString() };
}

export function contentSecurityPolicy(assets: PageAssets, imagesFromExtension = false): string {
  const images = imagesFromExtension ? ` img-src ${assets.cspSource};` : '';
  return `default-src 'none'; style-src ${assets.cspSource};${images} script-src 'nonce-${assets.nonce}';`;
}

export function webviewPage(assets: PageAssets, page: PageContent): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(assets, page.imagesFromExtension)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${assets.styleUri}">
<title>${escapeHtml(page.title)}</title>
</head>
<body>
${page.body}
<script nonce="${assets.nonce}" src="${assets.scriptUri}"></script>
</body>
</html>`;
}
