/**
 * The GPU diagnosis and provider fallbacks as text for VS Code (QuickPick rows,
 * tooltips, the one-time notice). No VS Code API here, so it is tested in
 * plain Node.
 */
import type { ModelInfo } from '../../engine/coreProtocol';
import type { GpuReport } from '../../engine/model/gpu/protocol';

export interface ReportRow {
  label: string;
  description?: string;
  detail?: string;
  /** a separator heading */
  heading?: boolean;
}

export function reportRows(r: GpuReport): ReportRow[] {
  const rows: ReportRow[] = [];
  const c = r.cuda;
  rows.push({ label: `CUDA: ${c.usable ? 'usable' : 'not usable'}`, heading: true });
  rows.push({
    label: c.usable ? '$(pass-filled) CUDA works here' : `$(error) ${c.reason ?? 'not usable'}`,
    detail: c.package ? `${c.package} (CUDA ${c.cudaMajor}, cuDNN ${c.cudnnMajor}) for onnxruntime-node ${c.ortVersion}${c.probe?.ok ? `; test session opened in ${c.probe.ms} ms` : ''}` : undefined,
  });
  for (const k of c.checks) {
    rows.push({
      label: `${k.found ? '$(check)' : '$(close)'} ${k.role}`,
      description: k.name,
      detail: k.found ?? `${k.fix}`,
    });
  }
  const w = r.webgpu;
  rows.push({ label: `WebGPU: ${w.usable ? 'usable' : 'not usable'}`, heading: true });
  rows.push({ label: w.usable ? '$(pass-filled) a WebGPU adapter is available' : `$(error) ${w.reason}`, detail: w.drivers.map((d) => `${d.library || d.manifest}${d.software ? ' (software)' : ''}`).join(', ') || w.note });
  rows.push({ label: 'CPU: usable', heading: true });
  const flags = [r.cpu.avx512 && 'AVX-512', r.cpu.avx2 && 'AVX2', r.cpu.amx && 'AMX'].filter(Boolean).join(', ');
  rows.push({ label: `$(pass-filled) ${r.cpu.cores} cores`, description: `${r.cpu.model}${flags ? `, ${flags}` : ''}` });
  return rows;
}

/** The report as plain text (copied to the clipboard, written to the log): no note text in it, only paths and versions. */
export function reportText(r: GpuReport): string {
  return reportRows(r)
    .map((row) => (row.heading ? `\n${row.label}` : `  ${row.label.replace(/\$\([a-z-]+\) /, '')}${row.description ? ` [${row.description}]` : ''}${row.detail ? `\n      ${row.detail}` : ''}`))
    .join('\n')
    .trim();
}

/** "cuda unavailable: reason" lines for the status-bar tooltip and Show Model Info. */
export function fallbackLines(info: Pick<ModelInfo, 'providerFailures'>): string[] {
  return info.providerFailures.map((f) => `${f.provider} unavailable: ${f.reason}`);
}

/**
 * A fallback worth a notification: CUDA was set up (or the user asked for it)
 * and still did not run. "No driver" and "not set up" are the normal state of
 * most machines and stay in the tooltip.
 */
export function unexpectedFallback(info: Pick<ModelInfo, 'providerFailures' | 'provider'>): string | undefined {
  const cuda = info.providerFailures.find((f) => f.provider === 'cuda');
  if (!cuda || /no NVIDIA driver|not set up/.test(cuda.reason)) return undefined;
  return `CUDA did not run the model (${cuda.reason}); it runs on ${info.provider} instead.`;
}
