/** Small list-or-mapping fields of a service, each to its one long form. */
import { ipVersion as isIP } from './ip-address.js';
import { ValueError } from './issues.js';
import type { Lookup } from './interpolate.js';
import type { Link } from './model.js';
import type { ListOrDict, Scalar, StringOrList } from './raw.js';
import { splitShellWords, type DroppedTail } from './shell-words.js';

/** One entry of a list-or-mapping, with where it was written (a key, or a list index). */
export interface Entry {
  name: string;
  /** undefined: written without a value (`- NAME`, `NAME:`). */
  value: string | undefined;
  /** Key path suffix as written: `.NAME` or `[i]`. */
  at: string;
}

/** Reports a bad entry: `at` is the key path suffix (`.NAME` or `[i]`). */
export type Report = (at: string, message: string) => void;

/** Entries of `{A: 1, B: null}` or `["A=1", "B"]`; values as strings. */
export function entries(value: ListOrDict | undefined, report: Report): Entry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return Object.entries(value).map(([name, v]) => ({ name, value: scalarText(v), at: `.${name}` }));
  const out: Entry[] = [];
  value.forEach((item, i) => {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    // The entry is not shown: an environment entry may hold a secret.
    if (name.trim() === '') report(`[${i}]`, 'expected NAME=VALUE: the name before "=" is empty');
    else if (/\s/.test(name)) report(`[${i}]`, 'expected NAME=VALUE: the name has a space in it (the entry is not shown)');
    else out.push({ name, value: eq < 0 ? undefined : item.slice(eq + 1), at: `[${i}]` });
  });
  return out;
}

/** A scalar as text: numbers and booleans as written, null as "no value". */
export function scalarText(v: Scalar): string | undefined {
  return v === null ? undefined : String(v);
}

/**
 * Environment-like entries (environment, build args): an entry without a value takes the
 * variable from the environment, and is left out when that is not set either, as in Compose.
 */
export function withEnvironment(list: Entry[], env: Lookup, into: Record<string, string> = {}): Record<string, string> {
  for (const { name, value } of list) {
    const v = value ?? env(name);
    if (v !== undefined) into[name] = v;
  }
  return into;
}

/** Labels: an entry without a value is the empty string. */
export function labelsOf(value: ListOrDict | undefined, report: Report): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, value: v } of entries(value, report)) out[name] = v ?? '';
  return out;
}

/**
 * `command`/`entrypoint`/`ready.exec` as argv: a string is split into words as Compose splits it
 * (no shell; see shell-words.ts), so `""` is `[]`, as `[]` is. Throws a ValueError for a string
 * that cannot be split. At a shell operator (`a && b`) Compose keeps the words before it: so
 * does this when `onDropped` is given (to warn), else it is an error.
 */
export function execForm(value: StringOrList | undefined, onDropped?: (dropped: DroppedTail) => void): string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? splitShellWords(value, onDropped) : [...value];
}

/** The warning for a string command cut at a shell operator, as Compose cuts it. */
export function droppedTailWarning(words: readonly string[] | undefined, { operator, tail }: DroppedTail): string {
  const kept = JSON.stringify(words ?? []);
  return (
    `${JSON.stringify(operator)} is shell syntax, but a string command runs without a shell: as Compose, hafen runs ${kept} ` +
    `and drops ${JSON.stringify(tail)}; write ["sh", "-c", "…"] to run it in a shell`
  );
}

/** `"db"` or `"db:database"`. */
export function parseLink(text: string): Link {
  const [service, alias, extra] = text.split(':');
  if (!service || extra !== undefined || alias === '') throw new ValueError(`expected "SERVICE" or "SERVICE:ALIAS", got ${JSON.stringify(text)}`);
  return { service, alias: alias ?? service };
}

/** `volumes_from` entries: `"svc"`, `"svc:ro"`, `"svc:rw"`. */
export function parseVolumesFrom(text: string): { service: string; read_only: boolean } {
  if (text.startsWith('container:')) throw new ValueError(`"${text}": mounting from a container outside the stack is not supported; name a service`);
  const [service, mode, extra] = text.split(':');
  if (!service || extra !== undefined || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new ValueError(`expected "SERVICE", "SERVICE:ro" or "SERVICE:rw", got ${JSON.stringify(text)}`);
  }
  return { service, read_only: mode === 'ro' };
}

/** `expose` entries: `3000`, `"3000"`, `"3000-3005"`, `"3000/udp"`. */
export function parseExpose(value: string | number): number[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(?:tcp|udp))?$/.exec(String(value).trim());
  const from = Number(m?.[1]);
  const to = m?.[2] === undefined ? from : Number(m[2]);
  if (!m || from < 1 || to > 65535 || to < from) throw new ValueError(`expected a port from 1 to 65535 or a range like "3000-3005", got ${JSON.stringify(value)}`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** `extra_hosts`: `["host:ip"]`, `["host=ip"]` or `{host: ip}`; an IPv6 address may be in brackets. */
export function parseExtraHosts(value: string[] | Record<string, string> | undefined, report: Report): Record<string, string> {
  const hosts: Record<string, string> = {};
  const pairs: [string, string, string][] = Array.isArray(value)
    ? value.map((item, i) => {
        const cut = item.includes('=') ? item.indexOf('=') : item.indexOf(':');
        return cut < 0 ? [item, '', `[${i}]`] : [item.slice(0, cut), item.slice(cut + 1), `[${i}]`];
      })
    : Object.entries(value ?? {}).map(([h, ip]) => [h, ip, `.${h}`]);
  for (const [host, rawIp, at] of pairs) {
    const ip = rawIp.startsWith('[') && rawIp.endsWith(']') ? rawIp.slice(1, -1) : rawIp;
    if (host && (ip === 'host-gateway' || isIP(ip) !== 0)) hosts[host] = ip;
    else report(at, `expected "HOST:IP" with an IP address (or host-gateway), got ${JSON.stringify(Array.isArray(value) ? `${host}:${rawIp}` : rawIp)}`);
  }
  return hosts;
}
