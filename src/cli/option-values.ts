/**
 * Parsers of option values, run by commander while it reads the command line: a malformed value is
 * a usage error (exit 2, one line naming the option) before anything is loaded or touched.
 */
import { constants } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/units.js';

/** `-t 10` (whole seconds, as Compose takes it) or a duration (`1m30s`, `500ms`): milliseconds. */
export function timeoutValue(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  try {
    return parseDuration(text);
  } catch {
    throw new InvalidArgumentError('expected whole seconds (10) or a duration (1m30s, 500ms).');
  }
}

/** `--tail 20`, or `all` as in Compose: a whole number of lines, undefined for all. */
export function tailValue(text: string): number | undefined {
  if (text === 'all') return undefined;
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number of lines, or "all".');
  return Number(text);
}

/** `--index 2`: an instance number, 1 or more. */
export function instanceValue(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) throw new InvalidArgumentError('expected an instance number: 1, 2, …');
  return Number(text);
}

/** `--since 2026-12-05T10:00:00Z` or `--since 10m`: an ISO time as given, or the time that long ago (epoch ms). */
export function sinceValue(text: string): string | number {
  if (!Number.isNaN(Date.parse(text)) && /^\d{4}-/.test(text)) return text;
  try {
    return Date.now() - (/^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text));
  } catch {
    throw new InvalidArgumentError('expected an ISO time (2026-12-05T10:00:00Z) or a duration ago (10s, 5m).');
  }
}

/** `-s KILL`, `-s SIGHUP`, `-s 9`: the signal's name, as the runtimes take it. */
export function signalValue(text: string): string {
  const signals = constants.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const name = Object.keys(signals).find((k) => signals[k] === Number(text));
    if (name) return name;
  } else {
    const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
    if (Object.hasOwn(signals, name)) return name;
  }
  throw new InvalidArgumentError('expected a signal name or number (KILL, SIGTERM, 9).');
}

// Compose's `up`, `down` and `logs` flags (issue 14).

/** `--scale web=3` (repeatable): replicas by service, gathered into `previous`. */
export function scaleValue(text: string, previous: Record<string, number> = {}): Record<string, number> {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*)=(\d+)$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected SERVICE=NUM, e.g. web=3.');
  return { ...previous, [m[1]!]: Number(m[2]) };
}

/** `--attach web` (repeatable): service names, in the order given. */
export function serviceListValue(text: string, previous: string[] = []): string[] {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(text)) throw new InvalidArgumentError('expected a service name.');
  return [...previous, text];
}

/** `--until 2026-12-05T10:00:00Z` or `--until 10m` (that long ago): as `--since` takes it. */
export const untilValue = sinceValue;
