import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excludesDirectory, globToRegExp, matchesAny, defaultExcludes, defaultIncludes } from '../../../src/engine/index/glob';

test('** matches any depth, including none', () => {
  assert.ok(matchesAny(['**/*.md'], 'a.md'));
  assert.ok(matchesAny(['**/*.md'], 'x/y/z/a.md'));
  assert.ok(!matchesAny(['**/*.md'], 'a.mdx'));
});

test('* and ? stay inside one path segment', () => {
  assert.ok(matchesAny(['notes/*.txt'], 'notes/a.txt'));
  assert.ok(!matchesAny(['notes/*.txt'], 'notes/sub/a.txt'));
  assert.ok(matchesAny(['n?tes/a.txt'], 'notes/a.txt'));
  assert.ok(!matchesAny(['n?tes/a.txt'], 'n/tes/a.txt'));
});

test('braces and character classes', () => {
  assert.ok(matchesAny(['**/*.{txt,md}'], 'a/b.txt'));
  assert.ok(matchesAny(['**/*.{txt,md}'], 'a/b.md'));
  assert.ok(!matchesAny(['**/*.{txt,md}'], 'a/b.rtf2'));
  assert.ok(matchesAny(['note[0-9].txt'], 'note7.txt'));
  assert.ok(!matchesAny(['note[!0-9].txt'], 'note7.txt'));
});

test('regex metacharacters in globs are literal', () => {
  assert.ok(matchesAny(['a+b (1).txt'], 'a+b (1).txt'));
  assert.ok(!matchesAny(['a.txt'], 'abtxt'));
  assert.doesNotThrow(() => globToRegExp('[unclosed'));
  assert.doesNotThrow(() => globToRegExp('{a,b'));
  assert.doesNotThrow(() => globToRegExp('(((\\'));
});

test('default includes cover note files and default excludes prune build and VCS folders', () => {
  for (const p of ['a.txt', 'x/y.md', 'z.markdown', 'n.note']) assert.ok(matchesAny(defaultIncludes, p), p);
  assert.ok(!matchesAny(defaultIncludes, 'image.png'));
  assert.ok(matchesAny(defaultExcludes, 'node_modules/pkg/readme.md'));
  assert.ok(matchesAny(defaultExcludes, 'a/.git/HEAD'));
  assert.ok(excludesDirectory(defaultExcludes, 'node_modules'));
  assert.ok(excludesDirectory(defaultExcludes, 'deep/down/node_modules'));
  assert.ok(!excludesDirectory(defaultExcludes, 'cardiology'));
});
