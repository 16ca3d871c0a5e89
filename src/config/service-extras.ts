/**
 * Compose service keys about how a container is kept rather than what it runs: `logging`,
 * `annotations`, `runtime` (the OCI runtime), `pull_policy`'s refresh forms,
 * `deploy.resources.reservations` and `deploy.mode`. Each in its long form; which runtime can
 * honour what is the planner's table (runtime-support.ts), not decided here.
 */
import { ValueError, type Issues } from './issues.js';
import { labelsOf, scalarText } from './mappings.js';
import type { Logging, Millis, PullPolicy, Reservations } from './model.js';
import type { RawService } from './raw.js';
import { parseCpus, parseDuration, parseSize } from './units.js';

/** The fields of a service that this module fills in. */
export interface ServiceExtras {
  logging?: Logging;
  annotations: Record<string, string>;
  runtime?: string;
  reservations: Reservations;
  pull_policy: PullPolicy;
  pull_refresh_after?: Millis;
}

/** Normalizes the keys above for service `name`; problems go to `issues`. */
export function serviceExtras(name: string, raw: RawService, issues: Issues): ServiceExtras {
  const base = `services.${name}`;
  const out: ServiceExtras = {
    annotations: labelsOf(raw.annotations, (at, m) => issues.value(`${base}.annotations${at}`, m)),
    reservations: reservationsOf(base, raw, issues),
    pull_policy: 'missing',
  };
  if (raw.logging !== undefined) out.logging = loggingOf(raw.logging);
  if (raw.runtime !== undefined) out.runtime = raw.runtime;
  const pull = issues.check(`${base}.pull_policy`, () => pullPolicyOf(raw.pull_policy));
  if (pull) {
    out.pull_policy = pull.policy;
    if (pull.refreshAfter !== undefined) out.pull_refresh_after = pull.refreshAfter;
  }
  const mode = raw.deploy?.mode;
  if ((mode === 'global' || mode === 'global-job') && (raw.deploy?.replicas ?? 1) > 1) {
    issues.value(`${base}.deploy.replicas`, `deploy.mode "${mode}" runs one container (there is one node); remove replicas or the mode`);
  }
  return out;
}

/** Docker's default driver when `logging:` names none. */
export const DEFAULT_LOG_DRIVER = 'json-file';

function loggingOf(raw: NonNullable<RawService['logging']>): Logging {
  const options: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw.options ?? {})) {
    const text = scalarText(value);
    if (text !== undefined) options[key] = text;
  }
  return { driver: raw.driver ?? DEFAULT_LOG_DRIVER, options };
}

/**
 * compose-go's pull policies: `if_not_present` is `missing`; `daily`, `weekly` and
 * `every_<duration>` pull again when the local image is older than that (`refresh`).
 */
export function pullPolicyOf(text: string | undefined): { policy: PullPolicy; refreshAfter?: Millis } {
  switch (text) {
    case undefined:
    case 'missing':
    case 'if_not_present':
    case 'refresh': // compose-go reads a bare "refresh" as missing
      return { policy: 'missing' };
    case 'always':
    case 'never':
    case 'build':
      return { policy: text };
    case 'daily':
      return { policy: 'refresh', refreshAfter: 24 * 3_600_000 };
    case 'weekly':
      return { policy: 'refresh', refreshAfter: 7 * 24 * 3_600_000 };
  }
  if (text.startsWith('every_')) return { policy: 'refresh', refreshAfter: parseLongDuration(text.slice('every_'.length)) };
  throw new ValueError(`expected always, never, missing, build, daily, weekly or every_<duration>, got ${JSON.stringify(text)}`);
}

/** A duration that may also count days and weeks (`every_1w2d`). */
function parseLongDuration(text: string): Millis {
  let ms = 0;
  const rest = text.replace(/(\d+)([dw])/g, (_, n: string, unit: string) => {
    ms += Number(n) * (unit === 'w' ? 7 : 1) * 24 * 3_600_000;
    return '';
  });
  return ms + (rest === '' ? 0 : parseDuration(rest));
}

function reservationsOf(base: string, raw: RawService, issues: Issues): Reservations {
  const r = raw.deploy?.resources?.reservations;
  const at = `${base}.deploy.resources.reservations`;
  const out: Reservations = {};
  // deploy.resources.reservations.memory wins over Compose's older mem_reservation.
  const memory: [string | number, string] | undefined =
    r?.memory !== undefined ? [r.memory, `${at}.memory`] : raw.mem_reservation !== undefined ? [raw.mem_reservation, `${base}.mem_reservation`] : undefined;
  if (memory) {
    const bytes = issues.check(memory[1], () => parseSize(memory[0]));
    if (bytes !== undefined) out.memory = bytes;
  }
  if (r?.cpus !== undefined) {
    const cpus = issues.check(`${at}.cpus`, () => parseCpus(r.cpus!));
    if (cpus !== undefined) out.cpus = cpus;
  }
  if (r?.pids !== undefined) out.pids = r.pids;
  if (r?.devices !== undefined) out.devices = structuredClone(r.devices) as Record<string, unknown>[];
  if (r?.generic_resources !== undefined) out.generic_resources = structuredClone(r.generic_resources) as Record<string, unknown>[];
  return out;
}
