/** Appends a dated, machine-labelled section (or dated lines under a heading) to BENCHMARKS.md. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execSync } from 'node:child_process';

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const mem = Math.round(os.totalmem() / 2 ** 30);
  return `Machine: ${cpu}, ${os.cpus().length} cores, ${mem} GiB, load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version}, ${os.platform()}-${os.arch()}. Date: ${new Date().toISOString().slice(0, 10)}.`;
}

export function appendBenchmark(title: string, body: string): void {
  const file = path.resolve(__dirname, '..', 'BENCHMARKS.md');
  const head = fs.existsSync(file) ? '' : '# Benchmarks\n\nRun with `npm run bench`. Each section is appended by its script with the machine and date.\n';
  fs.appendFileSync(file, `${head}\n## ${title}\n\n${body}\n`);
}

/**
 * Adds each line, with the date, the CPU, the load average and Node's version, as a bullet
 * at the end of the section `## heading` (made at the end of the file when missing).
 */
export function appendBenchmarkLines(heading: string, lines: readonly string[]): void {
  let machine = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    machine = execSync("lscpu | grep 'Model name'", { encoding: 'utf8' }).replace(/Model name:\s*/, '').trim();
  } catch {
    // lscpu is Linux-only; the os module's name is close enough
  }
  const file = path.resolve(__dirname, '..', 'BENCHMARKS.md');
  if (!fs.existsSync(file)) fs.writeFileSync(file, '# Benchmarks\n');
  // the load average says how much other work shared the CPU (p95 is sensitive to it)
  const load = `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
  const entry = lines.map((l) => `- ${new Date().toISOString().slice(0, 10)}, ${machine} (${load}), Node ${process.version}: ${l}\n`).join('');
  const title = `## ${heading}`;
  const current = fs.readFileSync(file, 'utf8');
  if (current.includes(title)) {
    const at = current.indexOf(title) + title.length;
    const next = current.indexOf('\n## ', at);
    const end = next < 0 ? current.length : next;
    fs.writeFileSync(file, current.slice(0, end).replace(/\n*$/, '\n') + entry + current.slice(end));
  } else fs.appendFileSync(file, `\n${title}\n\n${entry}`);
}
