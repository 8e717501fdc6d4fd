/**
 * `cmb gpu [--json]`: what each execution provider needs on this machine and
 * whether it is there, with a probe session on each GPU provider.
 * `cmb gpu --install [--from FILE] [--feed URL]`: fetch (or unpack) the CUDA
 * provider libraries into storage, then report again from a fresh process,
 * which is the one that can load them.
 */
import { spawnSync } from 'node:child_process';
import { diagnoseGpu } from '../engine/model/gpu/diagnose';
import { probeProvider } from '../engine/model/gpu/probe';
import { installCudaProvider } from '../engine/model/gpu/provision';
import type { GpuReport, LibraryCheck } from '../engine/model/gpu/protocol';
import { formatBytes } from '../engine/net/transferMeter';
import { cliStorageDir } from '../engine/storageDir';
import { CliInputError, parseArgs, stringFlag, type CliIo } from './io';

const USAGE = 'cmb gpu [--json] | cmb gpu --install [--from FILE] [--feed URL] [--json]';

function line(c: LibraryCheck): string {
  return `  ${c.found ? 'ok     ' : 'missing'}  ${c.role.padEnd(26)} ${c.name.padEnd(36)} ${c.found ?? `fix: ${c.fix}`}`;
}

/** The report as a person reads it: one line per provider, then each library, then where the loader looked. */
export function formatReport(r: GpuReport): string[] {
  const out: string[] = [];
  const cuda = r.cuda;
  out.push(`CUDA    ${cuda.usable ? 'usable' : `not usable: ${cuda.reason}`}${cuda.probe?.ok ? ` (session opened in ${cuda.probe.ms} ms)` : ''}`);
  if (cuda.package) out.push(`  needs ${cuda.package} (CUDA ${cuda.cudaMajor}, cuDNN ${cuda.cudnnMajor}) for onnxruntime-node ${cuda.ortVersion}${cuda.runtimeDir ? `; set up in ${cuda.runtimeDir}` : ''}`);
  if (cuda.note) out.push(`  note: ${cuda.note}`);
  for (const c of cuda.checks) out.push(line(c));
  const searched = cuda.checks.find((c) => c.name.startsWith('libcuda.so'))?.searched;
  if (searched?.length && cuda.missing.length) out.push(`  folders searched (the loader's order): ${searched.join(', ')}`);
  const w = r.webgpu;
  out.push(`WebGPU  ${w.usable ? 'usable' : `not usable: ${w.reason}`}${w.note ? ` (${w.note})` : ''}`);
  for (const d of w.drivers) out.push(`  Vulkan driver ${d.library || d.manifest}${d.software ? ' (software)' : ''}`);
  const flags = [r.cpu.avx512 && 'AVX-512', r.cpu.avx2 && 'AVX2', r.cpu.amx && 'AMX'].filter(Boolean).join(', ');
  out.push(`CPU     usable: ${r.cpu.cores} cores, ${r.cpu.model}${flags ? `, ${flags}` : ''}`);
  return out;
}

export async function runGpu(args: string[], io: CliIo, opts: { tty?: boolean; env?: NodeJS.ProcessEnv; cliPath?: string } = {}): Promise<number> {
  const p = parseArgs(args, ['json', 'install']);
  for (const name of p.flags.keys()) if (!['json', 'install', 'from', 'feed'].includes(name)) throw new CliInputError(`unknown option --${name} (${USAGE})`);
  if (p.positional.length) throw new CliInputError(`unexpected argument "${p.positional[0]}" (${USAGE})`);
  const install = p.flags.get('install') === true;
  if (!install && (p.flags.has('from') || p.flags.has('feed'))) throw new CliInputError(`--from and --feed go with --install (${USAGE})`);
  const json = p.flags.get('json') === true;
  const env = opts.env ?? process.env;
  const storageDir = cliStorageDir(env);

  if (!install) {
    const report = await diagnoseGpu({ storageDir, probe: probeProvider });
    if (json) io.out(JSON.stringify(report, null, 2));
    else for (const l of formatReport(report)) io.out(l);
    return 0;
  }

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let last = 0;
  try {
    const r = await installCudaProvider(
      { from: stringFlag(p, 'from'), feed: stringFlag(p, 'feed') },
      {
        storageDir,
        env,
        signal: controller.signal,
        progress: ({ message }) => {
          if (opts.tty) return void process.stderr.write(`\r\x1b[K${message}`);
          const now = Date.now();
          if (now - last > 10_000) {
            last = now;
            io.err(message);
          }
        },
      },
    );
    if (opts.tty) process.stderr.write('\r\x1b[K');
    io.err(`Set up ${r.package} in ${r.dir} (${formatBytes(r.files.reduce((s, f) => s + f.size, 0))}; ${r.verified === 'feed-sha512' ? 'SHA-512 checked against the feed' : `from a local file, SHA-512 ${r.sha512Base64}: compare it with the one on nuget.org`}).`);
    // this process runs the bundled onnxruntime; a fresh one loads the new runtime and tells the truth
    const child = spawnSync(process.execPath, [opts.cliPath ?? process.argv[1]!, 'gpu', '--json'], { env: { ...env, CMB_STORAGE_DIR: storageDir }, encoding: 'utf8' });
    let report: GpuReport;
    try {
      report = JSON.parse(child.stdout) as GpuReport;
    } catch {
      io.err(`cmb gpu: the CUDA provider is set up, but a fresh process could not report on it (exit ${child.status}); run cmb gpu.`);
      return 1;
    }
    if (json) io.out(JSON.stringify({ install: r, ...report }, null, 2));
    else for (const l of formatReport(report)) io.out(l);
    if (!report.cuda.usable) {
      io.err(`cmb gpu: the CUDA provider is set up, but CUDA is not usable yet: ${report.cuda.reason}`);
      return 1;
    }
    return 0;
  } finally {
    if (opts.tty) process.stderr.write('\r\x1b[K');
    process.removeListener('SIGINT', onSigint);
  }
}
