/**
 * Turns a scrapy HTTP cache of mtsamples.com sample pages (as kept in the public
 * GitHub repository terrah27/spider_mtsamples.com) into one JSON line per note:
 * {"id", "specialty", "name", "text"}, with the page's line breaks kept.
 *
 *   node scripts/eval/mtsamples-extract.mjs GIT_DIR OUT.jsonl
 *
 * GIT_DIR is a bare or normal git directory of that repository. The data stays
 * outside this project (see scripts/eval/README.md).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { gunzipSync } from 'node:zlib';

const [gitDir, outFile] = process.argv.slice(2);
if (!gitDir || !outFile) {
  console.error('usage: node scripts/eval/mtsamples-extract.mjs GIT_DIR OUT.jsonl');
  process.exit(2);
}
const git = (...args) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { maxBuffer: 1 << 30 });
const names = git('ls-tree', '-r', '--name-only', 'HEAD').toString('utf8').split('\n').filter((n) => n.endsWith('/response_body'));

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decode = (s) =>
  s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e.toLowerCase()] ?? m,
  );

const out = fs.openSync(outFile, 'w', 0o600);
const seen = new Set();
let kept = 0;
for (const name of names) {
  const dir = name.slice(0, -'/response_body'.length);
  let meta;
  try {
    meta = git('show', `HEAD:${dir}/meta`).toString('utf8');
  } catch {
    continue;
  }
  const url = /'url': '([^']+)'/.exec(meta)?.[1] ?? '';
  if (!/sample\.asp\?type=.*&sample=/.test(url) || seen.has(url)) continue;
  let body = git('show', `HEAD:${name}`);
  if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
  const page = body.toString('latin1');
  const head = page.indexOf('Sample Name:');
  const start = page.indexOf('<hr>', head);
  const end = page.indexOf('<!-- Ezoic - MTSam Sample Bottom', start);
  if (head < 0 || start < 0 || end < 0) continue;
  const specialty = decode(/Medical Specialty: <\/b>\s*([^<]*)/i.exec(page)?.[1]?.trim() ?? '');
  const sampleName = decode(/Sample Name:<\/b>\s*([^<]*)/i.exec(page)?.[1]?.trim() ?? '');
  const text = decode(
    page
      .slice(start + 4, end)
      .replace(/<script[\s\S]*?<\/script>/gi, '')
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<[^>]+>/g, ''),
  )
    .split('\n')
    .map((l) => l.replace(/[ \t\r]+$/g, '').replace(/^[ \t\r]+/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  // a sample is listed under its specialty and under its document type: keep it once
  if (!text || seen.has(text)) continue;
  seen.add(url);
  seen.add(text);
  fs.writeSync(out, `${JSON.stringify({ id: kept, specialty, name: sampleName, url, text })}\n`);
  kept++;
}
fs.closeSync(out);
console.log(`${kept} notes written to ${outFile}`);
