/** Appends a dated, machine-labelled section to BENCHMARKS.md. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
