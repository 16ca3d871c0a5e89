/**
 * An instruction's `--flag[=value]` words checked against what it accepts, with BuildKit's rules:
 * unknown flags and repeated single-valued flags are errors, booleans take `true`/`false`/nothing,
 * strings need `=value`, a lone `--` ends the flags.
 */
import { closest } from './go-text.js';

export type FlagType = 'bool' | 'string' | 'strings';

/** The flags one instruction accepts, by name (without `--`). */
export type FlagSpec = Readonly<Record<string, FlagType>>;

/** Parsed values: booleans as true/false, strings as given, repeatable flags as lists. */
export interface FlagValues {
  bool(name: string): boolean | undefined;
  string(name: string): string | undefined;
  strings(name: string): string[];
  /** Names of the flags that were given, in order. */
  readonly used: readonly string[];
}

/** Parses `flags` against `spec`; throws an Error with BuildKit's message on a bad flag. */
export function parseFlags(flags: readonly string[], spec: FlagSpec): FlagValues {
  const bools = new Map<string, boolean>();
  const strings = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const used: string[] = [];
  for (const arg of flags) {
    if (!arg.startsWith('--')) throw new Error(`arg should start with -- : ${arg}`);
    if (arg === '--') break;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const type = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (type === undefined) {
      const hint = closest(name, Object.keys(spec));
      throw new Error(`unknown flag: --${name}${hint === undefined ? '' : ` (did you mean --${hint}?)`}`);
    }
    if (used.includes(name) && type !== 'strings') throw new Error(`duplicate flag specified: --${name}`);
    used.push(name);
    switch (type) {
      case 'bool': {
        if (value === '') throw new Error(`missing a value on flag: --${name}`);
        const v = (value ?? 'true').toLowerCase();
        if (v !== 'true' && v !== 'false') throw new Error(`expecting boolean value for flag --${name}, not: ${value}`);
        bools.set(name, v === 'true');
        break;
      }
      case 'string':
        if (value === undefined) throw new Error(`missing a value on flag: --${name}`);
        strings.set(name, value);
        break;
      case 'strings':
        if (value === undefined) throw new Error(`missing a value on flag: --${name}`);
        lists.set(name, [...(lists.get(name) ?? []), value]);
        break;
      default: {
        const never: never = type;
        throw new Error(`unhandled flag type ${String(never)}`);
      }
    }
  }
  return {
    bool: (name) => bools.get(name),
    string: (name) => strings.get(name),
    strings: (name) => lists.get(name) ?? [],
    used,
  };
}
