/** `healthcheck:` (Compose's, run inside the container) and `ready:` (hafen's, run from outside) in long form. */
import { ValueError } from './issues.js';
import { execForm } from './mappings.js';
import type { Healthcheck, HealthcheckField, ReadyCheck, ReadyProbe } from './model.js';
import type { RawHealthcheck, RawReady } from './raw.js';
import { parseDuration } from './units.js';

/** Compose's defaults, except start_interval: hafen probes fast while a service starts. */
export const HEALTHCHECK_DEFAULTS = { interval: 30_000, timeout: 30_000, retries: 3, start_period: 0, start_interval: 50 } as const;
/** First probe after 50ms, backing off to one a second. */
export const READY_DEFAULTS = { start_interval: 50, interval: 1000, timeout: 1000 } as const;

/** Calls `check(key, fn)` so a bad field is reported at its own key. */
export type FieldCheck = <T>(key: string, fn: () => T) => T | undefined;

/** Fields an image's HEALTHCHECK fills in when the stack file leaves them out (start_interval: hafen's own default stays). */
const FROM_IMAGE: readonly HealthcheckField[] = ['test', 'interval', 'timeout', 'retries', 'start_period'];

/**
 * The healthcheck in long form; undefined when none is given. Disabled (`disable: true`,
 * `["NONE"]`) is kept as `test: ["NONE"]`, as Compose sends it: it switches the image's HEALTHCHECK off too.
 * Fields left out are listed in `fromImage`: as with Compose and the Docker engine, the image's
 * HEALTHCHECK supplies them (`healthcheck: {interval: 1s}` keeps the image's test).
 */
export function normalizeHealthcheck(raw: RawHealthcheck | undefined, check: FieldCheck): Healthcheck | undefined {
  if (raw === undefined) return undefined;
  if (raw.disable === true) return { ...HEALTHCHECK_DEFAULTS, test: ['NONE'] };
  const test = raw.test === undefined ? [] : check('test', () => healthTest(raw.test!));
  if (test === undefined) return undefined;
  if (test[0] === 'NONE') return { ...HEALTHCHECK_DEFAULTS, test: ['NONE'] };
  const duration = (key: 'interval' | 'timeout' | 'start_period' | 'start_interval') =>
    raw[key] === undefined ? HEALTHCHECK_DEFAULTS[key] : (check(key, () => parseDuration(raw[key]!)) ?? HEALTHCHECK_DEFAULTS[key]);
  const fromImage = FROM_IMAGE.filter((key) => raw[key] === undefined);
  return {
    test,
    interval: duration('interval'),
    timeout: duration('timeout'),
    retries: raw.retries ?? HEALTHCHECK_DEFAULTS.retries,
    start_period: duration('start_period'),
    start_interval: duration('start_interval'),
    ...(fromImage.length ? { fromImage } : {}),
  };
}

function healthTest(test: string | string[]): string[] {
  if (typeof test === 'string') return ['CMD-SHELL', test];
  const [kind, ...rest] = test;
  if (kind === 'NONE') return ['NONE'];
  if ((kind === 'CMD' && rest.length > 0) || (kind === 'CMD-SHELL' && rest.length === 1)) return [...test];
  if (kind === 'CMD-SHELL') throw new ValueError('["CMD-SHELL", command] takes exactly one command string');
  throw new ValueError(`a healthcheck test list starts with "CMD", "CMD-SHELL" or "NONE", got ${JSON.stringify(test)}; a plain string runs through the shell`);
}

const PROBES = ['tcp', 'http', 'log', 'exec'] as const;

/** The ready check in long form: exactly one probe, with its timing. */
export function normalizeReady(raw: RawReady | undefined, check: FieldCheck): ReadyCheck | undefined {
  if (raw === undefined) return undefined;
  const given = PROBES.filter((p) => raw[p] !== undefined);
  if (given.length !== 1) {
    const what = given.length === 0 ? 'none is given' : `got ${given.join(' and ')}`;
    throw new ValueError(`a ready check takes exactly one of tcp, http, log or exec; ${what}`);
  }
  const probe = check(given[0]!, () => readyProbe(raw));
  if (probe === undefined) return undefined;
  const duration = (key: 'start_interval' | 'interval' | 'timeout') =>
    raw[key] === undefined ? READY_DEFAULTS[key] : (check(key, () => parseDuration(raw[key]!)) ?? READY_DEFAULTS[key]);
  return { ...probe, start_interval: duration('start_interval'), interval: duration('interval'), timeout: duration('timeout') };
}

function readyProbe(raw: RawReady): ReadyProbe {
  if (raw.tcp !== undefined) return { kind: 'tcp', port: raw.tcp };
  if (raw.http !== undefined) {
    const h = typeof raw.http === 'number' ? { port: raw.http } : raw.http;
    return { kind: 'http', port: h.port, path: h.path ?? '/', status: h.status ?? 200 };
  }
  if (raw.log !== undefined) return { kind: 'log', pattern: checkRegex(raw.log) };
  const command = execForm(raw.exec)!;
  if (command.length === 0) throw new ValueError('the exec command is empty');
  return { kind: 'exec', command };
}

/** The pattern, if JavaScript can compile it. */
function checkRegex(pattern: string): string {
  try {
    new RegExp(pattern);
    return pattern;
  } catch (err) {
    const why = (err as Error).message.split(': ').at(-1) ?? 'it does not compile';
    throw new ValueError(`"${pattern}" is not a valid regular expression: ${why.charAt(0).toLowerCase()}${why.slice(1)}`);
  }
}
