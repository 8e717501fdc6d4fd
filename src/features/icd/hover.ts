/**
 * Hover for ICD codes in notes. Detection runs on the whole note (context and
 * the note's other codes decide readings); the result is cached per version.
 */
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { hoverMarkdown, INSTALL_COMMAND, LOCAL_FOLDER_COMMAND } from './hoverText';
import type { NoteCodes } from './noteCodes';

// with no set installed, a hovered word shaped like a letter-led code still gets its system and chapter
const CODE_WORD = /[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?|[0-9][0-9A-HJ-NP-Z]{6}/;

export class IcdHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly ctx: Ctx,
    private readonly notes: NoteCodes,
  ) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    try {
      const offset = doc.offsetAt(pos);
      const { installed, codes } = await this.notes.get(doc);
      if (token.isCancellationRequested) return undefined;
      const hit = codes.find((c) => c.start <= offset && offset < c.end);
      if (hit) return this.hover(hoverMarkdown(hit.readings), new vscode.Range(doc.positionAt(hit.start), doc.positionAt(hit.end)));
      if (installed) return undefined;
      const range = doc.getWordRangeAtPosition(pos, /[A-Za-z0-9.]+/);
      const word = range ? doc.getText(range).replace(/\.$/, '') : '';
      if (!range || !new RegExp(`^(?:${CODE_WORD.source})$`).test(word)) return undefined;
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      try {
        const r = await this.ctx.client.request('icd.lookup', { codes: [word] }, { signal: controller.signal });
        const readings = r.results[0]?.readings ?? [];
        return readings.length ? this.hover(hoverMarkdown(readings), range) : undefined;
      } finally {
        sub.dispose();
      }
    } catch (e) {
      this.ctx.log('warn', `ICD hover failed: ${(e as Error).message}`);
      return undefined;
    }
  }

  private hover(markdown: string, range: vscode.Range): vscode.Hover {
    const md = new vscode.MarkdownString(markdown);
    md.isTrusted = { enabledCommands: [INSTALL_COMMAND, LOCAL_FOLDER_COMMAND] };
    return new vscode.Hover(md, range);
  }
}
