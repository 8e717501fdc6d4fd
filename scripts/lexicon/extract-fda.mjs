// `node scripts/lexicon/extract-fda.mjs PRODUCTS_TXT [OUT]`
//
// Distinct active ingredients of Drugs@FDA's Products.txt (U.S. Food and Drug
// Administration, public domain: a work of the U.S. government) into
// scripts/lexicon/sources/fda-ingredients.txt, which build.mjs reads. Only the
// ActiveIngredient column is kept; trade names, applicants and strengths are not.
// The input's sha256 is written in the header, so the extract can be traced to
// the file it came from.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [input, output = join(here, 'sources', 'fda-ingredients.txt')] = process.argv.slice(2);
if (!input) {
  console.error('usage: node scripts/lexicon/extract-fda.mjs PRODUCTS_TXT [OUT]');
  process.exit(2);
}
const bytes = readFileSync(resolve(input));
const lines = bytes.toString('utf8').split(/\r?\n/);
const columns = lines[0].split('\t');
const col = columns.indexOf('ActiveIngredient');
if (col < 0) {
  console.error(`${input}: no ActiveIngredient column (is it Drugs@FDA's Products.txt?)`);
  process.exit(1);
}
const names = new Set();
for (const line of lines.slice(1)) {
  const cell = line.split('\t')[col];
  if (!cell) continue;
  for (const part of cell.split(';')) {
    const name = part.trim().replace(/\s+/g, ' ').toUpperCase();
    if (name) names.add(name);
  }
}
const sha = createHash('sha256').update(bytes).digest('hex');
const header = [
  '# Active ingredients from Drugs@FDA Products.txt (U.S. Food and Drug Administration; public domain).',
  '# Extracted by scripts/lexicon/extract-fda.mjs; do not edit, extract again.',
  `# input sha256 ${sha}`,
];
writeFileSync(output, `${[...header, ...[...names].sort()].join('\n')}\n`);
console.log(`${names.size} ingredients -> ${output}`);
