/**
 * An untrusted workspace cannot make the extension load a model it supplies:
 * code-server runs with workspace trust on, the folder opens in Restricted Mode,
 * its .vscode/settings.json names a model folder inside the workspace, and the
 * extension ignores it with a notice.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './harness/codeServer';
import { makeWorkspace, modelUnderTest, vsixUnderTest } from './harness/fixtures';
import { quietSettings, session } from './harness/session';

const workspaceModel = 'workspace-supplied-model';
const bundle = join(repoRoot, 'dist', 'extension.js');
const handlesTrust = existsSync(bundle) && /workspace is not trusted/.test(readFileSync(bundle, 'utf8'));
const skipReason = handlesTrust ? false : 'the packaged extension has no workspace-trust notice yet (dist/extension.js lacks "workspace is not trusted")';

const { scenario } = session('trust', () => {
  const model = modelUnderTest();
  const workspace = makeWorkspace();
  // A real model in the workspace: were it loaded, the status bar would name it.
  const inside = join(workspace, 'models', workspaceModel);
  if (model) cpSync(model, inside, { recursive: true });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'clinicalModernbert.modelPath': inside }, null, 2));
  return {
    vsix: vsixUnderTest(),
    workspace,
    disableWorkspaceTrust: false,
    settings: {
      ...quietSettings,
      'security.workspace.trust.enabled': true,
      // open straight into Restricted Mode instead of asking
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.banner': 'always',
      ...(model ? { 'clinicalModernbert.modelPath': model } : {}),
    },
  };
}, skipReason);

scenario(
  'in an untrusted workspace the model folder named by its settings is ignored, with a notice',
  async (t, wb) => {
    await wb.waitForStatusBar(/Restricted Mode/i, 30_000);
    const deadline = Date.now() + 60_000;
    let notice: string | undefined;
    while (!notice && Date.now() < deadline) {
      notice = (await wb.notifications()).find((n) => /not trusted/i.test(n.text))?.text;
      if (!notice) {
        // Toasts hide after a while; the notification center keeps them.
        await wb.page.waitForTimeout(1000);
        if (Date.now() > deadline - 30_000) await wb.runCommand('Notifications: Show Notifications', 3_000);
      }
    }
    assert.ok(notice, 'no notice that the workspace model folder was ignored');
    t.diagnostic(`notice: ${notice}`);
    const status = await wb.waitForStatusBar(/CMB/, 60_000);
    t.diagnostic(`status bar: ${status}`);
    assert.ok(!status.includes(workspaceModel), `the status bar names the workspace's model: ${status}`);
  },
);
