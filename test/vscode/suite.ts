/**
 * The end-to-end scenarios through the VS Code API, run inside desktop VS Code's
 * extension host by @vscode/test-electron (`npm run test:vscode`). Bundled by
 * scripts/run-vscode-tests.mjs; VS Code calls run().
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Manifest {
  name: string;
  publisher: string;
  contributes?: { commands?: { command: string; title: string }[] };
}

const repoRoot = process.env.CMB_REPO_ROOT ?? join(__dirname, '..', '..');
const manifest: Manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const extensionId = `${manifest.publisher}.${manifest.name}`;

type Scenario = { name: string; skip?: string; fn: () => Promise<void> };

function withTimeout<T>(p: Thenable<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([Promise.resolve(p), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

const contributesIcd = (manifest.contributes?.commands ?? []).some((c) => /icd/i.test(c.command));

const scenarios: Scenario[] = [
  {
    name: 'the extension activates',
    fn: async () => {
      const ext = vscode.extensions.getExtension(extensionId);
      assert.ok(ext, `${extensionId} is not installed`);
      await ext.activate();
      assert.ok(ext.isActive);
    },
  },
  {
    name: 'the model loads and "Show Model Info" runs (the status bar text itself is only visible to test:e2e)',
    fn: async () => {
      const r = await withTimeout(vscode.commands.executeCommand('clinicalModernbert.showModelInfo'), 60_000);
      assert.notEqual(r, 'timeout', 'Show Model Info did not finish within 60 s');
    },
  },
  {
    name: 'hovering an ICD code shows its description',
    skip: contributesIcd ? undefined : 'the extension does not contribute the ICD feature yet (no command with "icd" in package.json)',
    fn: async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Assessment: DM2 (E11.9) on metformin.\n' });
      await vscode.window.showTextDocument(doc);
      const at = doc.getText().indexOf('E11.9') + 2;
      const deadline = Date.now() + 60_000;
      let text = '';
      while (Date.now() < deadline) {
        const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, doc.positionAt(at))) ?? [];
        text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
        if (/diabetes/i.test(text)) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.fail(`no hover with the description of E11.9; got: ${text}`);
    },
  },
  {
    name: 'every contributed command is registered and runs without throwing',
    fn: async () => {
      const registered = new Set(await vscode.commands.getCommands(true));
      const failures: string[] = [];
      const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Patient denies chest pain. DM2 (E11.9).\n' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 0, 26);
      for (const c of manifest.contributes?.commands ?? []) {
        if (!registered.has(c.command)) {
          failures.push(`${c.command} is not registered`);
          continue;
        }
        try {
          // Commands that wait for input (a folder picker) count as running once they have not thrown in 5 s.
          await withTimeout(vscode.commands.executeCommand(c.command), 5_000);
        } catch (e) {
          failures.push(`${c.command} threw: ${e instanceof Error ? e.message : String(e)}`);
        }
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      }
      assert.deepEqual(failures, []);
    },
  },
];

export async function run(): Promise<void> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const [i, s] of scenarios.entries()) {
    if (s.skip) {
      skipped++;
      console.log(`ok ${i + 1} - ${s.name} # SKIP ${s.skip}`);
      continue;
    }
    try {
      await s.fn();
      passed++;
      console.log(`ok ${i + 1} - ${s.name}`);
    } catch (e) {
      failed++;
      console.log(`not ok ${i + 1} - ${s.name}\n  ${(e instanceof Error ? e.stack ?? e.message : String(e)).split('\n').join('\n  ')}`);
    }
  }
  console.log(`test:vscode: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (failed) throw new Error(`${failed} scenario(s) failed`);
}
