/**
 * Theme colours as the scenarios compare them: the manifest's defaults
 * (contributes.colors) against what the browser computed for the rendered editor.
 */
import { manifest } from './fixtures';

export type ThemeKind = 'dark' | 'light' | 'hc-dark' | 'hc-light';
export type Rgba = [number, number, number, number];

/** A theme colour's default from the manifest, as the browser reports it ("rgba(229, 57, 53, 0.15)"). */
export function manifestColour(id: string, theme: ThemeKind): Rgba | undefined {
  const key = { dark: 'dark', light: 'light', 'hc-dark': 'highContrast', 'hc-light': 'highContrastLight' }[theme];
  const hex = (manifest.contributes?.colors ?? []).find((c) => c.id === id)?.defaults?.[key];
  const m = hex ? /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})?$/i.exec(hex) : null;
  if (!m) return undefined;
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), m[4] ? parseInt(m[4], 16) / 255 : 1];
}

/** True when a CSS colour ("rgb(...)" or "rgba(...)") is `want`, alpha within rounding. */
export function sameColour(css: string, want: Rgba): boolean {
  const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(css);
  if (!m) return false;
  const got = [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
  return got[0] === want[0] && got[1] === want[1] && got[2] === want[2] && Math.abs(got[3]! - want[3]) < 0.01;
}
