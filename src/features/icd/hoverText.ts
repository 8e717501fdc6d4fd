/**
 * The hover's markdown for a code's readings. Pure (no vscode import) so the
 * wording is testable: code, system, long description, billable or header,
 * the parent chain; with no set installed, the system and chapter and a link
 * to install.
 */
import type { CodeInfo } from '../../engine/icd/protocol';

export const INSTALL_COMMAND = 'clinicalModernbert.icd.install';
export const LOCAL_FOLDER_COMMAND = 'clinicalModernbert.icd.useLocalFolder';

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

function one(r: CodeInfo): string {
  const lines: string[] = [];
  const status = r.known
    ? r.billable
      ? 'billable code'
      : 'header, not billable'
    : r.narrower?.length
      ? 'category, not billable'
      : r.installed
        ? 'not in the installed code set'
        : 'code set not installed';
  lines.push(`**${escape(r.display)}** · ${escape(r.systemName)} · _${status}_`);
  if (r.description) lines.push('', escape(r.description));
  // the CMS ICD-9-CM files list billable codes only: a category is shown by the codes under it
  if (r.narrower?.length) lines.push('', `Codes under it: ${r.narrower.map((n) => `${escape(n.display)} ${escape(n.description)}`).join('; ')}`);
  if (r.parents.length) lines.push('', r.parents.map((p) => `${escape(p.display)} ${escape(p.description)}`).join(' → '));
  if (r.mappings?.length) {
    const maps = r.mappings.map((m) => `${m.approximate ? '≈ ' : ''}${escape(m.systemName)} **${escape(m.display)}**${m.description ? ` ${escape(m.description)}` : ''}${m.combination ? ' _(with other codes)_' : ''}`);
    lines.push('', `CMS GEMs: ${maps.join('; ')}`);
  }
  return lines.join('\n');
}

export function hoverMarkdown(readings: CodeInfo[]): string {
  if (!readings.length) return '';
  const parts = readings.map(one);
  let md = parts[0]!;
  if (parts.length > 1) md += `\n\n---\n\nAlso read as:\n\n${parts.slice(1).join('\n\n')}`;
  if (readings.some((r) => !r.installed)) {
    md += `\n\n[Install ICD code sets](command:${INSTALL_COMMAND}) · [Use a local folder](command:${LOCAL_FOLDER_COMMAND})`;
  }
  return md;
}
