/**
 * Drives the VS Code workbench served by code-server through Debian's Chromium:
 * open files, run palette commands, hover text, read the status bar and
 * notifications, take screenshots. Selectors are the workbench's own CSS classes.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './codeServer';

// page.evaluate callbacks run in the browser; the project compiles without the DOM
// library, so the few browser globals they use are declared loosely here.
declare const document: any;
declare const NodeFilter: any;
declare function getComputedStyle(el: any): any;

export const resultsDir = join(repoRoot, 'test-results', 'e2e');

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    // Without the background-networking family of flags Chromium keeps calling Google's hosts.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps'],
  });
}

export class Workbench {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, url: string, folder: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    // The status bar appears once the workbench has restored its parts.
    await page.waitForSelector('.statusbar', { timeout: 60_000 });
    return new Workbench(page);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${name.replace(/[^a-z0-9-]+/gi, '-').toLowerCase()}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async pressEscape(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(100);
    }
  }

  /** Quick Open (Ctrl+P) a file by name and wait for its editor. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20_000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 20_000 });
    await this.page.locator('.monaco-editor .view-line').first().waitFor({ timeout: 20_000 });
  }

  /** The labels the command palette offers for a query, as shown (e.g. "Clinical: Show Log"). */
  async paletteEntries(query: string): Promise<string[]> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${query}`);
    await this.page.waitForTimeout(400);
    const labels = await this.page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts();
    await this.pressEscape();
    return labels.map((l) => l.replace(/\s+/g, ' ').trim());
  }

  /**
   * Runs a palette command by its label; false when the palette does not offer it
   * within `timeoutMs` (it is reopened meanwhile: extension contributions load
   * after the workbench opens, and an open palette does not pick them up).
   */
  async runCommand(label: string, timeoutMs = 20_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const input = this.page.locator('.quick-input-widget input');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: label }) }).first();
    while (Date.now() < deadline) {
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible' });
      await input.fill(`>${label}`);
      try {
        await row.waitFor({ timeout: 3_000 });
        await row.click();
        return true;
      } catch {
        await this.pressEscape();
      }
    }
    return false;
  }

  async statusBarTexts(): Promise<string[]> {
    return (await this.page.locator('.statusbar .statusbar-item').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
  }

  /** Waits for a status bar entry whose text matches; returns its text. */
  async waitForStatusBar(match: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await this.statusBarTexts();
      const hit = seen.find((t) => match.test(t));
      if (hit) return hit;
      await this.page.waitForTimeout(500);
    }
    throw new Error(`no status bar entry matches ${match} after ${timeoutMs} ms; entries: ${JSON.stringify(seen)}`);
  }

  /**
   * Notification toasts, the notification center's items and open dialogs, with
   * their severity. A failing command shows a dialog ("Command ... resulted in an error").
   */
  async notifications(): Promise<{ severity: 'error' | 'warning' | 'info'; text: string }[]> {
    return this.page.evaluate(() => {
      const out: { severity: 'error' | 'warning' | 'info'; text: string }[] = [];
      for (const box of Array.from<any>(document.querySelectorAll('.monaco-dialog-box'))) {
        const cls: string = box.querySelector('.dialog-icon')?.className ?? '';
        const severity = /codicon-(dialog-)?error/.test(cls) ? 'error' : /codicon-(dialog-)?warning/.test(cls) ? 'warning' : 'info';
        const text: string = box.querySelector('.dialog-message-container')?.innerText ?? box.innerText;
        out.push({ severity, text: text.replace(/\s+/g, ' ').trim() });
      }
      for (const item of Array.from<any>(document.querySelectorAll('.notifications-toasts .notification-list-item, .notifications-center .notification-list-item'))) {
        const icon = item.querySelector('.notification-list-item-icon');
        const cls = icon?.className ?? '';
        const severity = /codicon-error/.test(cls) ? 'error' : /codicon-warning/.test(cls) ? 'warning' : 'info';
        const text: string = item.querySelector('.notification-list-item-message')?.innerText ?? item.innerText;
        out.push({ severity, text: text.replace(/\s+/g, ' ').trim() });
      }
      return out;
    });
  }

  async clearNotifications(): Promise<void> {
    await this.page.evaluate(() => {
      for (const b of Array.from<any>(document.querySelectorAll('.notifications-toasts .codicon-notifications-clear, .notifications-toasts .codicon-close'))) b.click();
    });
  }

  /**
   * Hovers the first occurrence of `text` in the visible editor, at the middle of
   * those characters (not of the whole line), and returns the hover widget's text
   * once it matches `until` (default: any text but the "Loading..." placeholder).
   */
  async hover(text: string, timeoutMs = 20_000, until: RegExp = /\S/): Promise<string> {
    const box = await this.textBox(text);
    const deadline = Date.now() + timeoutMs;
    // The workbench keeps hidden hover widgets around (class "hidden"); only a shown one counts.
    const shown = this.page.locator('.monaco-hover:not(.hidden)');
    const read = async () => (await shown.allInnerTexts()).join('\n').trim();
    const ready = (t: string) => until.test(t) && !/^Loading\.\.\.$/.test(t);
    let last = '';
    while (Date.now() < deadline) {
      // Move off and back: the hover controller reacts to mouse moves, and providers may still be starting.
      await this.page.mouse.move(box.x + box.width / 2, box.y - 40);
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      try {
        await shown.first().waitFor({ state: 'visible', timeout: 3_000 });
      } catch {
        continue; // no hover yet
      }
      // Providers answer one after another: wait until the text is ready and has settled.
      const settle = Math.min(deadline, Date.now() + 5_000);
      while (Date.now() < settle) {
        const now = await read();
        if (ready(now) && now === last) return now;
        last = now;
        await this.page.waitForTimeout(400);
      }
    }
    throw new Error(`no hover over "${text}" matching ${until} within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
  }

  /**
   * Where the first occurrence of `text` is drawn in the visible editor
   * (viewport coordinates). The editor splits a line into runs of at most 50
   * characters, so the text is looked for across a line's text nodes.
   */
  async textBox(text: string): Promise<{ x: number; y: number; width: number; height: number }> {
    const box = await this.page.evaluate((needle) => {
      for (const line of Array.from<any>(document.querySelectorAll('.monaco-editor .view-line'))) {
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        const nodes: Array<{ node: any; from: number }> = [];
        let all = '';
        let node: any;
        while ((node = walker.nextNode())) {
          nodes.push({ node, from: all.length });
          all += (node.textContent ?? '').replace(/\u00a0/g, ' ');
        }
        const at = all.indexOf(needle);
        if (at < 0) continue;
        const end = at + needle.length;
        const first = nodes.filter((n) => n.from <= at).at(-1)!;
        const last = nodes.filter((n) => n.from < end).at(-1)!;
        const range = document.createRange();
        range.setStart(first.node, at - first.from);
        range.setEnd(last.node, end - last.from);
        const r = range.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      }
      return null;
    }, text);
    if (!box) throw new Error(`"${text}" is not visible in the editor`);
    return box;
  }

  /** Selects the first occurrence of `text` (one line) in the visible editor with the mouse: click before it, shift+click after it. */
  async selectText(text: string): Promise<void> {
    const box = await this.textBox(text);
    const charWidth = box.width / text.length;
    const y = box.y + box.height / 2;
    await this.page.mouse.click(box.x + charWidth * 0.2, y);
    await this.page.keyboard.down('Shift');
    await this.page.mouse.click(box.x + box.width - charWidth * 0.2, y);
    await this.page.keyboard.up('Shift');
  }

  /**
   * The borders drawn around the first occurrence of `text` in the visible
   * editor (border decorations go to the overlay layer): colour and style of
   * each overlay element over those characters that has a visible border.
   */
  async bordersAt(text: string): Promise<Array<{ colour: string; style: string }>> {
    const r = await this.textBox(text);
    return this.page.evaluate((box) => {
      const out: Array<{ colour: string; style: string }> = [];
      for (const el of Array.from<any>(document.querySelectorAll('.monaco-editor .view-overlays .cdr'))) {
        const cs = getComputedStyle(el);
        const b = el.getBoundingClientRect();
        const overlaps = b.left < box.x + box.width - 1 && box.x < b.right - 1 && b.top < box.y + box.height - 1 && box.y < b.bottom - 1;
        if (overlaps && cs.borderTopStyle !== 'none' && parseFloat(cs.borderTopWidth) > 0) out.push({ colour: cs.borderTopColor, style: cs.borderTopStyle });
      }
      return out;
    }, r) as Promise<Array<{ colour: string; style: string }>>;
  }

  /**
   * The decorations drawn over the first occurrence of `text` in the visible
   * editor: background colours of the overlay layer (where backgroundColor
   * decorations go) and the text-decoration lines of the inline spans (where
   * textDecoration goes). Empty lists when nothing is drawn there.
   */
  async decorationsAt(text: string): Promise<{ backgrounds: string[]; textDecorations: string[]; theme: 'dark' | 'light' | 'hc-dark' | 'hc-light' }> {
    return this.page.evaluate((needle) => {
      // No named helpers in here: tsx would wrap them in __name(), which the browser lacks.
      const body = document.querySelector('.monaco-workbench');
      const cls: string = body?.className ?? '';
      const theme = /hc-light/.test(cls) ? 'hc-light' : /hc-black/.test(cls) ? 'hc-dark' : /vs-dark/.test(cls) ? 'dark' : 'light';
      for (const line of Array.from<any>(document.querySelectorAll('.monaco-editor .view-line'))) {
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        let node: any;
        while ((node = walker.nextNode())) {
          const at = (node.textContent ?? '').replace(/\u00a0/g, ' ').indexOf(needle);
          if (at < 0) continue;
          const range = document.createRange();
          range.setStart(node, at);
          range.setEnd(node, at + needle.length);
          const r = range.getBoundingClientRect();
          const editor = line.closest('.monaco-editor');
          const backgrounds: string[] = [];
          for (const el of Array.from<any>(editor.querySelectorAll('.view-overlays .cdr'))) {
            const bg = getComputedStyle(el).backgroundColor;
            const b = el.getBoundingClientRect();
            const overlaps = b.left < r.right - 1 && r.left < b.right - 1 && b.top < r.bottom - 1 && r.top < b.bottom - 1;
            if (bg && bg !== 'rgba(0, 0, 0, 0)' && overlaps) backgrounds.push(bg);
          }
          const textDecorations: string[] = [];
          for (const span of Array.from<any>(line.querySelectorAll('span'))) {
            const d = getComputedStyle(span).textDecorationLine;
            const b = span.getBoundingClientRect();
            const overlaps = b.left < r.right - 1 && r.left < b.right - 1 && b.top < r.bottom - 1 && r.top < b.bottom - 1;
            if (d && d !== 'none' && overlaps) textDecorations.push(d);
          }
          return { backgrounds, textDecorations, theme };
        }
      }
      throw new Error(`"${needle}" is not visible in the editor`);
    }, text) as Promise<{ backgrounds: string[]; textDecorations: string[]; theme: 'dark' | 'light' | 'hc-dark' | 'hc-light' }>;
  }
}
