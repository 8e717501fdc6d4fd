/**
 * Every webview page gets the same shell: a CSP that allows the page's own
 * stylesheet and the script carrying its nonce and nothing else, and a title
 * escaped like any other text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml, newNonce, pageAssets, webviewPage, type PageAssets } from '../../src/features/webviewPage';

const assets: PageAssets = { cspSource: 'vscode-webview://x', nonce: 'n0nce', styleUri: 'vscode-webview://x/page.css', scriptUri: 'vscode-webview://x/page.js' };
const csp = (html: string) => /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;

test('a page allows its stylesheet and its one script with the nonce, nothing else', () => {
  const html = webviewPage(assets, { title: 'Clinical Search', body: '<ol id="results"></ol>' });
  assert.equal(csp(html), "default-src 'none'; style-src vscode-webview://x; script-src 'nonce-n0nce';");
  assert.deepEqual([...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]), ['<script nonce="n0nce" src="vscode-webview://x/page.js">']);
  assert.deepEqual([...html.matchAll(/<link[^>]*>/g)].map((m) => m[0]), ['<link rel="stylesheet" href="vscode-webview://x/page.css">']);
  assert.match(html, /<body>\n<ol id="results"><\/ol>\n<script/);
  assert.doesNotMatch(html, /\sstyle="|https?:\/\//);
});

test('images from the extension are allowed only where the page asks', () => {
  const html = webviewPage(assets, { title: 'Training report', body: '', imagesFromExtension: true });
  assert.equal(csp(html), "default-src 'none'; style-src vscode-webview://x; img-src vscode-webview://x; script-src 'nonce-n0nce';");
});

test('the title is text: a head or folder name cannot open a tag', () => {
  const html = webviewPage(assets, { title: 'Fine-tune: <img src=x onerror=alert(1)>', body: '' });
  assert.match(html, /<title>Fine-tune: &lt;img src=x onerror=alert\(1\)&gt;<\/title>/);
  assert.equal(escapeHtml(`a&b"'<>`), 'a&amp;b&quot;&#39;&lt;&gt;');
});

test('each rendering gets its own unguessable nonce, usable in a CSP', () => {
  const seen = new Set(Array.from({ length: 100 }, () => newNonce()));
  assert.equal(seen.size, 100);
  for (const n of seen) assert.match(n, /^[A-Za-z0-9_-]{32}$/);
  const webview = { cspSource: 'vscode-webview://y', asWebviewUri: (u: { path: string }) => ({ toString: () => `vscode-webview://y${u.path}` }) };
  const a = pageAssets(webview as never, { path: '/m/a.css' } as never, { path: '/m/a.js' } as never);
  assert.deepEqual({ ...a, nonce: '' }, { cspSource: 'vscode-webview://y', nonce: '', styleUri: 'vscode-webview://y/m/a.css', scriptUri: 'vscode-webview://y/m/a.js' });
});

test('the four pages of the extension are built with this shell', () => {
  const root = join(__dirname, '../..');
  for (const f of ['search/searchView.ts', 'icd/mapPanel.ts', 'training/reportHtml.ts', 'finetune/reportHtml.ts']) {
    const source = readFileSync(join(root, 'src/features', f), 'utf8');
    assert.match(source, /webviewPage\(/, f);
    assert.doesNotMatch(source, /Content-Security-Policy|<!DOCTYPE|Math\.random/, `${f} builds no shell of its own`);
  }
});
