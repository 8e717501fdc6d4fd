/**
 * ICD-10-CM blocks (E08-E13 "Diabetes mellitus") from the official tabular XML
 * (icd10cm_tabular_YYYY.xml, in CMS's "Code Tables, Tabular and Index" zip).
 * Each category is assigned to the <section> that lists it, not by comparing
 * codes with a block's bounds: "M1A" sorts after "M14" but belongs to M05-M14.
 */
import { EngineError } from '../errors';

export interface Blocks {
  /** block id ("E08-E13") -> title ("Diabetes mellitus") */
  titles: Record<string, string>;
  /** 3-character category ("E11") -> block id */
  categories: Record<string, string>;
}

export const TABULAR_FILE = /^icd10cm[-_ ]?tabular[-_ ](?!.*addend).*\.xml$/i;

export function isTabularFile(fileName: string): boolean {
  return TABULAR_FILE.test(fileName.split(/[\\/]/).pop() ?? fileName);
}

const decodeXml = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function parseTabularBlocks(bytes: Uint8Array, fileName: string): Blocks {
  const xml = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!/<ICD10CM\.tabular[\s>]/.test(xml.slice(0, 2000))) {
    throw new EngineError('bad-input', `${fileName} is not the ICD-10-CM tabular list (no <ICD10CM.tabular> element).`);
  }
  const blocks: Blocks = { titles: {}, categories: {} };
  const parts = xml.split(/<section\s+id="/);
  for (const part of parts.slice(1)) {
    const id = part.slice(0, part.indexOf('"'));
    // a section ends where the chapter does; a following chapter's sections are separate parts
    const body = part.split('</chapter>')[0]!;
    const desc = /<desc>([\s\S]*?)<\/desc>/.exec(body)?.[1];
    if (!id || desc === undefined) continue;
    blocks.titles[id] = decodeXml(desc).replace(/\s*\([A-Z0-9]{3}(?:-[A-Z0-9]{3})?\)$/, '');
    for (const m of body.matchAll(/<diag>\s*<name>([A-Z][0-9][0-9A-Z])<\/name>/g)) blocks.categories[m[1]!] ??= id;
  }
  if (!Object.keys(blocks.categories).length) throw new EngineError('bad-input', `${fileName} has no sections with categories; is it the ICD-10-CM tabular list?`);
  return blocks;
}
