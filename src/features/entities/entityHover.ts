/** Hover on an entity: type, confidence, assertion status and source. */
import * as vscode from 'vscode';
import type { EntitySpan } from '../../engine/tasks/protocol';

export function describeStatus(s: EntitySpan): string {
  const parts: string[] = [];
  if (s.negated) parts.push('negated');
  if (s.uncertain) parts.push('uncertain');
  if (s.historical) parts.push('historical');
  if (s.hypothetical) parts.push('hypothetical');
  if (s.experiencer === 'other') parts.push('not the patient (e.g. family history)');
  return parts.length ? parts.join(', ') : 'affirmed, current, patient';
}

export function entityHover(s: EntitySpan): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${s.type}**`);
  md.appendMarkdown(s.source === 'model' ? ` — model, confidence ${(s.score * 100).toFixed(0)}%` : ' — lexicon term');
  md.appendMarkdown(`\n\nAssertion: ${describeStatus(s)}`);
  return md;
}

export function spanAt(spans: readonly EntitySpan[], offset: number): EntitySpan | undefined {
  return spans.find((s) => s.start <= offset && offset < s.end);
}
