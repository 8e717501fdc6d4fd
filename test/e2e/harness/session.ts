/**
 * One code-server session per test file: registers before/after hooks that
 * start code-server with the VSIX and open the workbench in Chromium, and a
 * `scenario` wrapper that screenshots every scenario (and failures) into
 * test-results/e2e/.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './codeServer';
import { launchBrowser, resultsDir, Workbench } from './workbench';

/** Settings that keep the workbench quiet and predictable in tests. */
export const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'editor.hover.delay': 150,
};

export interface Session {
  scenario(name: string, fn: (t: TestContext, wb: Workbench) => Promise<void>, skip?: string | false): void;
}

/**
 * `setup` runs in before(): it makes the workspace and returns code-server's
 * options. With `skipAll`, nothing starts and every scenario is skipped with that reason.
 */
export function session(name: string, setup: () => CodeServerOptions | Promise<CodeServerOptions>, skipAll?: string | false): Session {
  if (skipAll) {
    return { scenario: (title) => test(title, { skip: skipAll }, () => undefined) };
  }
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let wb: Workbench | undefined;
  let workspace = '';

  before(async () => {
    const opts = await setup();
    workspace = opts.workspace;
    server = await startCodeServer(opts);
    browser = await launchBrowser();
    wb = await Workbench.open(browser, server.url, workspace);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (server) {
      // The extension host log tells why a scenario failed; keep it beside the screenshots.
      const logs = join(server.userDataDir, 'logs');
      if (existsSync(logs)) {
        mkdirSync(resultsDir, { recursive: true });
        cpSync(logs, join(resultsDir, `${name}-logs`), { recursive: true });
      }
      await server.stop();
    }
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  return {
    scenario(title, fn, skip) {
      test(title, { skip: skip || false }, async (t) => {
        assert.ok(wb, `the workbench did not open${server ? `; code-server said:\n${server.log()}` : ''}`);
        try {
          await fn(t, wb);
          t.diagnostic(`screenshot: ${await wb.screenshot(`${name}-${title}`)}`);
        } catch (e) {
          t.diagnostic(`failure screenshot: ${await wb.screenshot(`${name}-${title}-failure`).catch(() => '(none)')}`);
          throw e;
        }
      });
    },
  };
}
