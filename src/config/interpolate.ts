/**
 * Compose's variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?message}`, `${VAR?message}`, `${VAR:+alt}`, `${VAR+alt}`, and `$$` for a literal `$`.
 * Defaults, messages and alternatives may themselves hold `${...}`. A `$` followed by anything
 * else (`$1`, `$ `) is kept as written, as Compose does.
 */
import { ScalarError, type ScalarHook } from './yaml-tree.js';

/** Finds a variable's value; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/**
 * Told of a variable that `$NAME` or `${NAME}` named and that is not set (it becomes ""), as
 * Compose warns of it; the forms with a default or an alternative (`${NAME:-x}`, `${NAME+x}`) are
 * not told, nor is a required one (`${NAME:?}`), which fails instead.
 */
export type OnUnset = (name: string) => void;

/** A missing required variable or a malformed `${...}`. */
export class InterpolationError extends ScalarError {}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

/** Expands every variable in `text`. */
export function interpolate(text: string, lookup: Lookup, onUnset?: OnUnset): string {
  return expand(text, lookup, onUnset).text;
}

/**
 * The hook yaml-tree applies to string scalars. An unquoted value that was substituted is read
 * again as YAML would read the result (`replicas: ${N}` with N=3 is the number 3), but only when
 * that loses nothing: `08080` stays a string.
 */
export function interpolationHook(lookup: Lookup, onUnset?: OnUnset): ScalarHook {
  return (text, plain) => {
    if (!text.includes('$')) return text;
    const { text: out, substituted } = expand(text, lookup, onUnset);
    if (!plain || !substituted) return out;
    if (out === 'true' || out === 'false') return out === 'true';
    const n = Number(out);
    if (out.trim() !== '' && Number.isFinite(n) && String(n) === out) return n;
    return out;
  };
}

function expand(text: string, lookup: Lookup, onUnset?: OnUnset): { text: string; substituted: boolean } {
  let out = '';
  let substituted = false;
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const { value, end } = braced(text, dollar, lookup, onUnset);
      out += value;
      substituted = true;
      i = end;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) {
        out += plainValue(name, lookup, onUnset);
        substituted = true;
        i = dollar + 1 + name.length;
      } else {
        out += '$';
        i = dollar + 1;
      }
    }
  }
  return { text: out, substituted };
}

/** Expands the `${...}` starting at `start`; returns its value and the index after its `}`. */
function braced(text: string, start: number, lookup: Lookup, onUnset?: OnUnset): { value: string; end: number } {
  const body = start + 2;
  const name = NAME.exec(text.slice(body))?.[0];
  const close = findClose(text, body);
  const shown = close < 0 ? text.slice(start) : text.slice(start, close + 1);
  // `where` stands for the text in messages about values that may be secret (environment, env files).
  const where = `invalid interpolation at character ${start + 1}`;
  if (close < 0) throw new InterpolationError(`invalid interpolation "${shown}": no closing "}" (write $$ for a literal $)`, `${where}: "\${" has no closing "}" (write $$ for a literal $)`);
  if (!name) throw new InterpolationError(`invalid interpolation "${shown}": expected a variable name (write $$ for a literal $)`, `${where}: expected a variable name after "\${" (write $$ for a literal $)`);
  const rest = text.slice(body + name.length, close);
  const end = close + 1;
  if (rest === '') return { value: plainValue(name, lookup, onUnset), end };
  const value = lookup(name);
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op) throw new InterpolationError(`invalid interpolation "${shown}": expected "}", ":-", "-", ":?", "?", ":+" or "+" after ${name}`, `${where}: expected "}", ":-", "-", ":?", "?", ":+" or "+" after ${name}`);
  const arg = () => interpolate(rest.slice(op.length), lookup, onUnset);
  return { value: apply(op, name, value, arg), end };
}

/** `$NAME` or `${NAME}`: its value, or "" and a warning. */
function plainValue(name: string, lookup: Lookup, onUnset?: OnUnset): string {
  const value = lookup(name);
  if (value === undefined) onUnset?.(name);
  return value ?? '';
}

function apply(op: Operator, name: string, value: string | undefined, arg: () => string): string {
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case ':-':
      return nonEmpty ? value : arg();
    case '-':
      return set ? value : arg();
    case ':?':
    case '?': {
      if (op === ':?' ? nonEmpty : set) return value!;
      const message = arg();
      throw new InterpolationError(`required variable ${name} is missing a value${message ? `: ${message}` : ''}`);
    }
    case ':+':
      return nonEmpty ? arg() : '';
    case '+':
      return set ? arg() : '';
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** Index of the `}` closing the `${` whose body starts at `from`, skipping nested `${...}` and `$$`; -1 if none. */
function findClose(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    const c = text[j];
    if (c === '$' && (text[j + 1] === '$' || text[j + 1] === '{')) {
      if (text[j + 1] === '{') depth++;
      j++;
    } else if (c === '}' && --depth === 0) return j;
  }
  return -1;
}
