/**
 * A small glob matcher for include/exclude settings (VS Code's glob dialect:
 * `**`, `*`, `?`, `{a,b}`, `[abc]`). Paths are relative and use '/'.
 * node's path.matchesGlob exists in Node 20.20 but is experimental and warns on
 * every process start, so it is not used.
 */

export type PathMatcher = (relPath: string) => boolean;

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  const hit = cache.get(glob);
  if (hit) return hit;
  let re = '';
  let braceDepth = 0;
  const g = glob.trim().replace(/\\/g, '/').replace(/^\.\//, '');
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        // '**/' matches zero or more whole directories; a trailing '**' matches the rest
        const slashAfter = g[i + 2] === '/';
        const atSegmentStart = i === 0 || g[i - 1] === '/';
        i++;
        if (atSegmentStart && slashAfter) {
          re += '(?:[^/]*/)*';
          i++;
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braceDepth++;
      re += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth--;
      re += ')';
    } else if (c === ',' && braceDepth > 0) re += '|';
    else if (c === '[') {
      const close = g.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        let cls = g.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = close;
      }
    } else re += c.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  while (braceDepth-- > 0) re += ')';
  const out = new RegExp(`^${re}$`, 'i');
  cache.set(glob, out);
  return out;
}

/** true when any of the globs matches the path */
export function matchesAny(globs: readonly string[], relPath: string): boolean {
  for (const g of globs) if (g.trim() && globToRegExp(g).test(relPath)) return true;
  return false;
}

/**
 * true when every path under the directory is excluded, so the walk need not
 * enter it: an exclude of node_modules followed by "/**" prunes `a/node_modules`.
 */
export function excludesDirectory(excludes: readonly string[], relDir: string): boolean {
  for (const g of excludes) {
    const t = g.trim();
    if (t.endsWith('/**') && globToRegExp(t.slice(0, -3)).test(relDir)) return true;
  }
  return false;
}

export const defaultIncludes = ['**/*.{txt,md,markdown,text,note,notes,rst,org,adoc,log,csv,tsv,rtf,hl7}'];
export const defaultExcludes = [
  '**/node_modules/**',
  '**/.git/**',
  '**/.hg/**',
  '**/.svn/**',
  '**/dist/**',
  '**/out/**',
  '**/build/**',
  '**/target/**',
  '**/.vscode-test/**',
  '**/__pycache__/**',
];
