/**
 * `.env` and `env_file:` files: `NAME=VALUE` lines as Compose reads them. `#` starts a comment
 * (at the start of a line, or after a space in an unquoted value); `export NAME=VALUE` is fine;
 * single quotes keep text as is; double quotes take `\n`, `\t`, `\"`, `\\` escapes; both may span
 * lines. Unquoted and double-quoted values are interpolated (`${OTHER}`), earlier names in the file
 * first. A line with only a NAME takes that variable from the environment, if set.
 */
import type { ConfigIssue } from '../errors.js';
import { ConfigNotFoundError } from '../errors.js';
import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import { readTextFile } from './read-file.js';

/** Variables of one env file, or what is wrong with it. */
export interface EnvFile {
  vars: Record<string, string>;
  issues: ConfigIssue[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;

/**
 * Reads and parses an env file; undefined when it does not exist.
 * @param shown the path as messages show it
 * @param outer variables from outside the file (used after the file's own earlier ones)
 */
export async function readEnvFile(file: string, shown: string, outer: Lookup): Promise<EnvFile | undefined> {
  let text: string;
  try {
    text = await readTextFile(file, shown);
  } catch (err) {
    if (err instanceof ConfigNotFoundError) return undefined;
    throw err;
  }
  return parseEnvFile(text, shown, outer);
}

/** Parses env-file text. Problems are returned with `file:line:col` positions, not thrown. */
export function parseEnvFile(text: string, shown: string, outer: Lookup): EnvFile {
  const vars: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  const lookup: Lookup = (name) => (Object.hasOwn(vars, name) ? vars[name] : outer(name));
  const src = text.replace(/\r\n?/g, '\n');
  let i = 0;
  let line = 1;
  const issue = (col: number, path: string, message: string) => issues.push({ location: { file: shown, line, col, path }, message });

  const skipBlanks = (p: number) => {
    while (src[p] === ' ' || src[p] === '\t') p++;
    return p;
  };
  while (i < src.length) {
    const eolAt = src.indexOf('\n', i);
    const eol = eolAt < 0 ? src.length : eolAt;
    const startLine = line;
    let p = skipBlanks(i);
    if (p === eol || src[p] === '#') {
      i = eol + 1;
      line++;
      continue;
    }
    const exported = /^export[ \t]+/.exec(src.slice(p, eol));
    if (exported) p += exported[0].length;
    const col = p - i + 1;
    const name = NAME.exec(src.slice(p, eol))?.[0];
    const afterName = name ? skipBlanks(p + name.length) : p;
    if (!name || (afterName !== eol && src[afterName] !== '=' && src[afterName] !== '#')) {
      // The line's text is never shown: an env file holds secrets, and a file that is not one
      // (env_file: /etc/shadow) must not have its lines printed either.
      if (!name) issue(col, '', 'expected NAME=VALUE: a line starts with a variable name (a letter or "_", then letters, digits, "_", "." or "-"); the line is not shown');
      else issue(afterName - i + 1, '', 'expected "=" after the variable name (a line is NAME=VALUE); the line is not shown');
      i = eol + 1;
      line++;
      continue;
    }
    if (src[afterName] !== '=') {
      // A bare NAME passes the variable through from the environment.
      const value = outer(name);
      if (value !== undefined) vars[name] = value;
      i = eol + 1;
      line++;
      continue;
    }
    const valueStart = skipBlanks(afterName + 1);
    const quote = src[valueStart];
    let raw: string;
    let next: number;
    let interpolated: boolean;
    if (quote === '"' || quote === "'") {
      const close = findQuote(src, valueStart + 1, quote);
      if (close < 0) {
        issue(valueStart - i + 1, name, `unterminated ${quote === '"' ? 'double' : 'single'} quote`);
        break;
      }
      const body = src.slice(valueStart + 1, close);
      raw = quote === '"' ? unescapeDouble(body) : body;
      interpolated = quote === '"';
      line += countNewlines(body);
      const lineEnd = src.indexOf('\n', close) < 0 ? src.length : src.indexOf('\n', close);
      const trailing = src.slice(close + 1, lineEnd).trim();
      if (trailing !== '' && !trailing.startsWith('#')) {
        const lineStart = src.lastIndexOf('\n', close) + 1;
        issue(close + 2 - lineStart, name, 'unexpected text after the closing quote (not shown)');
      }
      next = lineEnd + 1;
    } else {
      raw = src.slice(valueStart, eol).replace(/\s+#.*$/, '').trimEnd();
      interpolated = true;
      next = eol + 1;
    }
    try {
      vars[name] = interpolated ? interpolate(raw, lookup) : raw;
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      issues.push({ location: { file: shown, line: startLine, col: valueStart - i + 1, path: name }, message: err.withoutText });
    }
    i = next;
    line++;
  }
  return { vars, issues };
}

/** Index of the closing quote, skipping backslash escapes inside double quotes; -1 if none. */
function findQuote(src: string, from: number, quote: string): number {
  for (let j = from; j < src.length; j++) {
    if (quote === '"' && src[j] === '\\') j++;
    else if (src[j] === quote) return j;
  }
  return -1;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

/** Double-quote escapes; `\$` stays a literal `$` through interpolation (as `$$`). */
function unescapeDouble(body: string): string {
  return body.replace(/\\(.)/gs, (whole, c: string) => (c === '$' ? '$$' : (ESCAPES[c] ?? whole)));
}

function countNewlines(s: string): number {
  let n = 0;
  for (const c of s) if (c === '\n') n++;
  return n;
}
