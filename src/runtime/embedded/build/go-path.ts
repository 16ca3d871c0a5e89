/**
 * Go's `path.Clean` and `filepath.Match` (Unix), which Docker uses for .dockerignore patterns and
 * COPY/ADD globs: `*` any run of non-`/` characters, `?` one non-`/` character, `[abc]`, `[a-z]`,
 * `[^a-z]` classes, `\` escaping the next character. No `**` (it means the same as `*`).
 */

/** Go's `path.Clean`: `.` and `..` resolved lexically, no duplicate or trailing slashes, `.` for empty. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** A pattern Go's `filepath.Match` rejects (`syntax error in pattern`). */
export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern: ${pattern}`);
  }
}

const compiled = new Map<string, RegExp>();

/** Compiles a Go match pattern; throws BadPatternError for a malformed one. */
export function goPatternRegExp(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  const chars = Array.from(pattern);
  let re = '^';
  let i = 0;
  for (; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      i++;
      if (i >= chars.length) throw new BadPatternError(pattern);
      re += literal(chars[i]!);
    } else if (ch === '[') {
      i++;
      let negate = false;
      if (chars[i] === '^') {
        negate = true;
        i++;
      }
      let ranges = '';
      let count = 0;
      for (;;) {
        if (i >= chars.length) throw new BadPatternError(pattern);
        if (chars[i] === ']' && count > 0) break;
        const lo = classChar();
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          hi = classChar();
        }
        if (lo.codePointAt(0)! <= hi.codePointAt(0)!) ranges += `${classLiteral(lo)}-${classLiteral(hi)}`;
        count++;
      }
      re += ranges === '' ? (negate ? '[^]' : '[]') : `[${negate ? '^' : ''}${ranges}]`;
    } else {
      re += literal(ch);
    }
  }
  const result = new RegExp(`${re}$`, 'u');
  compiled.set(pattern, result);
  return result;

  /** One character of a class, escapes resolved; `-` and `]` must be escaped there. */
  function classChar(): string {
    let c = chars[i];
    if (c === '\\') {
      i++;
      c = chars[i];
    } else if (c === '-' || c === ']') {
      throw new BadPatternError(pattern);
    }
    if (c === undefined) throw new BadPatternError(pattern);
    i++;
    return c;
  }
}

function literal(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function classLiteral(ch: string): string {
  return ch === '-' ? '\\-' : literal(ch);
}

/** Go's `filepath.Match(pattern, name)` on `/`-separated paths; throws BadPatternError for a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  return goPatternRegExp(pattern).test(name);
}

/** Whether a path has unescaped glob characters (`*`, `?`, `[`), as Docker decides whether to expand it. */
export function hasWildcards(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}
