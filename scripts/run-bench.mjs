// Runs every benchmark in bench/ (files named *.ts other than helpers), each in its own process.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const helpers = new Set(['report.ts', 'passages.ts', 'matmulPeak.ts', 'syntheticNotes.ts', 'serveHub.ts']);
const only = process.argv.slice(2);
let failed = 0;
for (const f of readdirSync('bench').filter((f) => f.endsWith('.ts') && !helpers.has(f)).sort()) {
  if (only.length && !only.some((o) => f.includes(o))) continue;
  console.log(`\n=== bench/${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
