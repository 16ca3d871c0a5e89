/**
 * Shell patterns inside `${var#pattern}`, `${var%pattern}` and `${var/pattern/replacement}`, converted
 * to regular expressions the way BuildKit's lexer converts them: `*` (shortest or longest run), `?`,
 * and `\` escaping `*`, `?`, `\`; brackets are literal.
 */

/** A pattern with an escape BuildKit does not accept. */
export class PatternError extends Error {}

/** A shell pattern (`*`, `?`, `\`-escapes; no brackets) as a regular expression, as BuildKit converts it. */
export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i]!;
    switch (tok) {
      case '*':
        out += greedy ? '.*' : '.*?';
        continue;
      case '?':
        out += '.';
        continue;
      case '\\': {
        const nxt = chars[i + 1];
        if (nxt === '}' || nxt === '/') continue; // escapes `}` and `/` for ${}, not part of the pattern
        i++;
        if (nxt !== '*' && nxt !== '?' && nxt !== '\\') {
          throw new PatternError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${nxt ?? ''}'`);
        }
        out += `\\${nxt}`;
        continue;
      }
      case '[':
      case ']':
      case '{':
      case '}':
      case '.':
      case '+':
      case '(':
      case ')':
      case '|':
      case '^':
      case '$':
        out += `\\${tok}`;
        continue;
      default:
        out += tok;
    }
  }
  return new RegExp(out, global ? 'g' : '');
}

/** `${var#pattern}` / `${var##pattern}`: removes the shortest (or longest) matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern but keeps each escape in front of the character it escapes. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    if (chars[i] === '\\' && i !== chars.length - 1) {
      out.unshift('\\', chars[i + 1]!);
      i += 2;
    } else {
      out.unshift(chars[i]!);
      i++;
    }
  }
  return out.join('');
}

/** `${var%pattern}` / `${var%%pattern}`: removes the shortest (or longest) matching suffix. */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = Array.from(value).reverse().join('');
  return Array.from(trimPrefix(reversePattern(pattern), reversed, greedy)).reverse().join('');
}
