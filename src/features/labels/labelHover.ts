/** Hover on a label: its name and state, with links to change, remove or keep it. */
import * as vscode from 'vscode';
import { spanState, type NoteSpan } from './noteLabels';

export const CHANGE_LABEL_COMMAND = 'clinicalModernbert.changeLabel';
export const REMOVE_LABEL_COMMAND = 'clinicalModernbert.removeLabel';
export const KEEP_LABEL_COMMAND = 'clinicalModernbert.keepLabel';

function link(title: string, command: string, args: unknown[], tooltip: string): string {
  return `[${title}](command:${command}?${encodeURIComponent(JSON.stringify(args))} "${tooltip}")`;
}

const quote = (s: string) => `“${s.replace(/\s+/g, ' ').slice(0, 80)}${s.length > 80 ? '…' : ''}”`;

export function labelHover(uri: vscode.Uri, s: NoteSpan): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: [CHANGE_LABEL_COMMAND, REMOVE_LABEL_COMMAND, KEEP_LABEL_COMMAND] };
  md.appendMarkdown(`$(tag) **${s.label}** — your label (${s.id})`);
  const state = spanState(s);
  if (state === 'edited') {
    md.appendMarkdown(`\n\n$(warning) The text changed since it was labelled (was ${quote(s.labelledText)}): keep the label if it still applies.`);
  } else if (state === 'review') {
    md.appendMarkdown('\n\n$(warning) The note changed outside the editor and this text was found here, not where the .ann put it: keep the label here if it belongs to this text (until then the .ann keeps its old line).');
  }
  const args = [uri.toString(), s.id];
  const links = [link('Change label', CHANGE_LABEL_COMMAND, args, 'Pick another label for this span'), link('Remove', REMOVE_LABEL_COMMAND, args, 'Remove this label')];
  if (state !== 'ok') links.unshift(link('Keep', KEEP_LABEL_COMMAND, args, 'Keep the label on this text'));
  md.appendMarkdown(`\n\n${links.join(' · ')}`);
  return md;
}
