import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, excludesDirectory, matchesAny, defaultExcludes, defaultIncludes, MAX_GLOB_CHARS } from '../../../src/engine/index/glob';
import { EngineError } from '../../../src/engine/errors';

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
  assert.doesNotThrow(() => compileGlob('[unclosed'));
  assert.doesNotThrow(() => compileGlob('{a,b'));
  assert.doesNotThrow(() => compileGlob('(((\\'));
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

test('matching is case-insensitive, braces nest, and ** inside a segment crosses folders', () => {
  assert.ok(matchesAny(['**/*.TXT'], 'Notes/A.txt'));
  assert.ok(matchesAny(['notes/[A-C]*.md'], 'notes/b1.md'));
  assert.ok(matchesAny(['**/*.{txt,{md,markdown}}'], 'x/y.markdown'));
  assert.ok(!matchesAny(['**/*.{txt,{md,markdown}}'], 'x/y.mark'));
  assert.ok(matchesAny(['a**b'], 'a/x/y/b'));
  assert.ok(matchesAny(['notes/**'], 'notes/a/b.txt'));
  assert.ok(matchesAny(['**'], 'anything/at/all'));
  assert.ok(matchesAny(['{a,b'], 'a'), 'an unclosed brace ends at the pattern end');
  assert.ok(matchesAny(['x}y,z'], 'x}y,z'), 'stray } and , are literal');
  assert.ok(matchesAny(['[unclosed'], '[unclosed'));
  assert.ok(matchesAny(['*'], '') && !matchesAny(['?'], ''), '* may match nothing, ? needs a character');
});

// The matcher is a state-set simulation: a match visits each NFA state at most
// twice per path character, whatever the pattern. A backtracking matcher (the
// regular expressions used before) needs exponentially many steps on this pair.
test('matching costs at most 2 x states x (path length + 1) steps, so hostile globs end at once', () => {
  const hostile = '*a*a*a*a*a*a*a*a*a*a*a*a*a*b';
  const name = 'a'.repeat(5000);
  const m = compileGlob(hostile);
  const { matched, steps } = m.run(name);
  assert.equal(matched, false);
  assert.ok(m.states <= 3 * hostile.length + 1, `${m.states} states`);
  assert.ok(steps <= 2 * m.states * (name.length + 1), `${steps} steps`);
  assert.equal(compileGlob(hostile).run('a'.repeat(40) + 'b').matched, true);
  for (const g of ['**/**/**/**/**/**/**/**/x', '{a,{a,{a,{a,{a,a}}}}}*{a,{a,{a,{a,a}}}}*b', '?*?*?*?*?*?*?*?*?*c']) {
    const path = 'a/'.repeat(1000) + 'a';
    const r = compileGlob(g).run(path);
    assert.equal(r.matched, false, g);
    assert.ok(r.steps <= 2 * compileGlob(g).states * (path.length + 1), `${g}: ${r.steps} steps`);
  }
});

test('the include/exclude settings and --glob used to hang on a hostile pattern; now they answer', { timeout: 60_000 }, () => {
  // before the linear matcher this call spun for minutes
  assert.equal(matchesAny(['*a*a*a*a*a*a*a*a*a*a*a*a*a*b'], 'a'.repeat(200)), false);
});

test('patterns longer than the bound are refused with a clear error', () => {
  assert.doesNotThrow(() => compileGlob('*'.repeat(MAX_GLOB_CHARS)));
  assert.throws(() => compileGlob('a'.repeat(MAX_GLOB_CHARS + 1)), (e: unknown) => e instanceof EngineError && e.code === 'bad-input' && /at most 500 characters/.test(e.message));
});
