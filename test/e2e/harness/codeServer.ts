/**
 * A code-server instance for one test file: a fresh user-data dir, a fresh
 * extensions dir holding the packaged VSIX, and a workspace folder, served on
 * 127.0.0.1 only. See ../shared/docs/e2e-code-server.md for why code-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(__dirname, '../../..');
export const codeServerBin = resolve(repoRoot, process.env.CODE_SERVER_DIR ?? '.e2e/code-server', 'node_modules/.bin/code-server');

export interface CodeServerOptions {
  /** the packaged extension to install */
  vsix: string;
  /** folder opened in the workbench */
  workspace: string;
  /** user settings written before start */
  settings: Record<string, unknown>;
  /** false starts code-server with workspace trust on (restricted mode for an untrusted folder) */
  disableWorkspaceTrust?: boolean;
}

export interface CodeServer {
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  /** what code-server printed, for failure reports */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms:\n${log()}`);
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  if (!existsSync(codeServerBin)) {
    throw new Error(`code-server is not installed at ${codeServerBin}: run scripts/setup-code-server.sh`);
  }
  const base = mkdtempSync(join(tmpdir(), 'cmb-e2e-'));
  const userDataDir = join(base, 'user-data');
  const extensionsDir = join(base, 'extensions');
  const configFile = join(base, 'config.yaml');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  // An explicit config keeps code-server from writing ~/.config/code-server/config.yaml.
  writeFileSync(configFile, 'auth: none\n');
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(opts.settings, null, 2));

  const install = spawnSync(
    codeServerBin,
    ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', opts.vsix, '--force'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (install.status !== 0) throw new Error(`installing ${opts.vsix} failed:\n${install.stdout}\n${install.stderr}`);
  if (!readdirSync(extensionsDir).some((d) => d.startsWith('clinical-modernbert.'))) {
    throw new Error(`the VSIX did not land in ${extensionsDir}:\n${install.stdout}\n${install.stderr}`);
  }

  const port = await freePort();
  const args = [
    '--config', configFile,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(opts.disableWorkspaceTrust === false ? [] : ['--disable-workspace-trust']),
    opts.workspace,
  ];
  let output = '';
  const child = spawn(codeServerBin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PASSWORD: undefined } });
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const log = () => output.slice(-8000);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child, 60_000, log);

  return {
    url,
    port,
    userDataDir,
    extensionsDir,
    log,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
