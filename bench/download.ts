/**
 * Model downloads from a local Hub (bench/serveHub.ts in another process):
 * throughput and the client's CPU time for a large LFS file (redirect to the
 * "CDN", sha256 verified while writing), the cost of resuming a cancelled
 * download (re-hashing the partial file), a download with dropped
 * connections, and a re-run that finds everything in place.
 * Usage: node --import tsx bench/download.ts [--mb N] [--write]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { downloadModel } from '../src/engine/model/download/downloadModel';
import { makeTestModelFolder } from '../src/engine/model/testModelFolder';
import { appendBenchmark, machineLine } from './report';

const argv = process.argv.slice(2);
const mbAt = argv.indexOf('--mb');
const MB = mbAt >= 0 ? Number(argv[mbAt + 1]) : 256;
const size = MB * 1024 * 1024;
const WRITE = argv.includes('--write');

function send(child: ChildProcess, m: object): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (r) => resolve(r as Record<string, unknown>));
    child.send(m);
  });
}

interface Run {
  wall: number;
  cpu: number;
  fetched: number;
}

async function timed(f: () => Promise<{ fetched: number }>): Promise<Run> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const cpu = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, fetched: r.fetched };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-bench-download-'));
  const child = fork(path.join(__dirname, 'serveHub.ts'), [], { execArgv: ['--import', 'tsx'] });
  try {
    const { url } = (await new Promise((r) => child.once('message', r))) as { url: string };
    const src = path.join(tmp, 'src');
    makeTestModelFolder({ arch: 'modernbert', out: src });
    const small = { 'config.json': fs.readFileSync(path.join(src, 'config.json'), 'utf8'), 'tokenizer.json': fs.readFileSync(path.join(src, 'tokenizer.json'), 'utf8') };
    await send(child, { repo: 'bench/model', files: { ...small, 'model.safetensors': size } });
    const env = { HF_ENDPOINT: url };
    const get = (storageDir: string, signal?: AbortSignal) => downloadModel({ repo: 'bench/model' }, { storageDir, env, signal, net: { retryDelayMs: 50 } });

    const fresh = await timed(() => get(path.join(tmp, 'fresh')));
    const again = await timed(() => get(path.join(tmp, 'fresh')));

    // cancelled half-way, then resumed: the resume re-reads the partial file to continue its sha256
    const resumeDir = path.join(tmp, 'resume');
    const partial = path.join(resumeDir, 'models', 'bench--model', 'model.safetensors.cmb-partial');
    const controller = new AbortController();
    const watch = setInterval(() => fs.existsSync(partial) && fs.statSync(partial).size >= size / 2 && controller.abort(), 2);
    const first = await timed(() => get(resumeDir, controller.signal).catch(() => ({ fetched: fs.statSync(partial).size })));
    clearInterval(watch);
    const kept = fs.statSync(partial).size;
    const resumed = await timed(() => get(resumeDir));

    await send(child, { faults: { drop: { path: 'model.safetensors', afterBytes: Math.floor(size * 0.3), times: 2 } } });
    const dropped = await timed(() => get(path.join(tmp, 'dropped')));
    await send(child, { faults: {} });

    // sha256 alone over the same bytes, for scale
    const buf = fs.readFileSync(path.join(tmp, 'fresh', 'models', 'bench--model', 'model.safetensors'));
    const h0 = performance.now();
    createHash('sha256').update(buf).digest();
    const hashRate = buf.length / 1e6 / ((performance.now() - h0) / 1000);

    const rate = (r: Run, bytes = r.fetched) => (bytes / 1e6 / r.wall).toFixed(0);
    const row = (name: string, r: Run, note = '') => `| ${name} | ${r.wall.toFixed(2)} s | ${(r.fetched / 1e6).toFixed(0)} MB | ${rate(r)} MB/s | ${r.cpu.toFixed(2)} s | ${note} |`;
    const halfTime = fresh.wall * ((size - kept) / size);
    const table = [
      `| run | wall | fetched | throughput | client CPU | note |`,
      `|---|---|---|---|---|---|`,
      row('fresh download', fresh, `CPU per GB: ${(fresh.cpu / (fresh.fetched / 1e9)).toFixed(2)} s`),
      row('cancelled at half', first),
      row('resumed', resumed, `resumes from ${(kept / 1e6).toFixed(0)} MB; overhead vs the remaining part of a fresh download: ${(resumed.wall - halfTime).toFixed(2)} s (re-hashing the partial file)`),
      row('2 connections dropped', dropped, `${((dropped.wall / fresh.wall - 1) * 100).toFixed(0)}% slower than fresh`),
      row('re-run, all in place', again, 'no request for content; sizes and the manifest decide'),
    ];
    const summary = `${MB} MB LFS file through a 302 redirect to a second local server (127.0.0.1), sha256 verified while writing, fsync before rename; the server runs in its own process. sha256 alone on this machine: ${hashRate.toFixed(0)} MB/s.`;
    console.log(machineLine());
    console.log(table.join('\n'));
    console.log(summary);
    if (WRITE) appendBenchmark('Model download from a local Hub (bench/download.ts)', [machineLine(), '', ...table, '', summary].join('\n'));
  } finally {
    child.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
