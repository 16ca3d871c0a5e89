/**
 * How a container's command runs, by Docker's rules, from its spec and its image's config: the
 * argv (entrypoint + cmd), the environment, the working directory, the capabilities, the stop
 * signal and the healthcheck. Pure, so each rule is table-tested.
 */
import os from 'node:os';
import type { Healthcheck, HealthcheckField } from '../../../config/model.js';
import { RuntimeError } from '../../../errors.js';
import type { ContainerSpec } from '../../runtime.js';
import { DEFAULT_PATH } from '../build/default-path.js';
import { CAPABILITIES, resolveCapabilities } from '../launcher/capabilities.js';
import type { ContainerConfig } from '../store/index.js';

/**
 * The argv, by the Docker engine's rules (what Compose gets from it): an entrypoint that is given
 * and not empty replaces the image's and drops the image's Cmd, so only the spec's command follows
 * it; otherwise a spec command that is not empty replaces the image's Cmd, an empty one keeps it,
 * and an empty (but given) entrypoint clears the image's. An entrypoint of one empty word (`[""]`,
 * `docker run --entrypoint ""`) ends up as none.
 */
export function containerCommand(spec: Pick<ContainerSpec, 'name' | 'entrypoint' | 'command'>, image: ContainerConfig): string[] {
  const replaced = spec.entrypoint !== undefined && spec.entrypoint.length > 0;
  let entrypoint = spec.entrypoint ?? image.Entrypoint ?? [];
  const cmd = replaced ? (spec.command ?? []) : spec.command?.length ? spec.command : (image.Cmd ?? []);
  if (entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0 || !argv[0]) {
    throw new RuntimeError(`container ${spec.name}`, 'no command to run: the image has no CMD or ENTRYPOINT, and none is given');
  }
  return argv;
}

/**
 * `K=V` entries as a record, the last of a repeated key winning. An entry without `=` (or with an
 * empty name) sets nothing: Docker keeps it in the config, but no process of the container sees it.
 */
export function envRecord(entries: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/**
 * The whole environment: PATH (a default when the image has none), HOSTNAME, the image's Env, the
 * spec's env over it, and HOME from the user's passwd entry unless set.
 */
export function containerEnv(spec: Pick<ContainerSpec, 'env' | 'hostname'>, image: ContainerConfig, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: spec.hostname, ...envRecord(image.Env), ...spec.env };
  env.HOME ??= home || '/';
  return env;
}

/** The working directory: the spec's, the image's, or `/`. */
export function containerCwd(spec: Pick<ContainerSpec, 'workingDir'>, image: ContainerConfig): string {
  return spec.workingDir || image.WorkingDir || '/';
}

/** Docker's default set adjusted by cap_add/cap_drop; privileged: every capability. */
export function containerCapabilities(spec: Pick<ContainerSpec, 'privileged' | 'capAdd' | 'capDrop'>): string[] {
  return spec.privileged ? [...CAPABILITIES] : resolveCapabilities(spec.capAdd, spec.capDrop);
}

/** `TERM`, `SIGTERM`, `15` → `SIGTERM`; unknown names are an error naming the container. */
export function signalName(signal: string | undefined, container: string): NodeJS.Signals {
  const text = (signal ?? '').trim().toUpperCase() || 'SIGTERM';
  const signals = os.constants.signals as Record<string, number>;
  if (/^\d+$/.test(text)) {
    const found = Object.entries(signals).find(([, n]) => n === Number(text));
    if (found) return found[0] as NodeJS.Signals;
  } else {
    const name = text.startsWith('SIG') ? text : `SIG${text}`;
    if (name in signals) return name as NodeJS.Signals;
  }
  throw new RuntimeError(`container ${container}`, `unknown signal ${JSON.stringify(signal)}`);
}

/** The stop signal: the spec's, else the image's STOPSIGNAL, else SIGTERM. */
export function stopSignal(spec: Pick<ContainerSpec, 'name' | 'stopSignal'>, image: ContainerConfig): NodeJS.Signals {
  return signalName(spec.stopSignal || image.StopSignal, spec.name);
}

const NS_PER_MS = 1_000_000;

/** The image's HEALTHCHECK in our units (ms), undefined fields where it has none (0 in the image means "default"). */
function imageHealthcheck(image: ContainerConfig): Partial<Healthcheck> {
  const h = image.Healthcheck ?? {};
  const ms = (ns: number | undefined) => (ns ? ns / NS_PER_MS : undefined);
  return {
    ...(h.Test?.length ? { test: [...h.Test] } : {}),
    ...(ms(h.Interval) !== undefined ? { interval: ms(h.Interval)! } : {}),
    ...(ms(h.Timeout) !== undefined ? { timeout: ms(h.Timeout)! } : {}),
    ...(h.Retries ? { retries: h.Retries } : {}),
    ...(ms(h.StartPeriod) !== undefined ? { start_period: ms(h.StartPeriod)! } : {}),
    ...(ms(h.StartInterval) !== undefined ? { start_interval: ms(h.StartInterval)! } : {}),
  };
}

/**
 * The healthcheck to run, by the Docker engine's rules: the spec's, its left-out fields (`fromImage`)
 * taken from the image's HEALTHCHECK where that sets them; else the image's HEALTHCHECK alone; with
 * Docker's defaults (30 s interval and timeout, 3 retries, 5 s start interval); undefined for none.
 */
export function containerHealthcheck(spec: Pick<ContainerSpec, 'healthcheck'>, image: ContainerConfig): Healthcheck | undefined {
  const img = imageHealthcheck(image);
  let from: Partial<Healthcheck> | undefined = img.test ? img : undefined;
  if (spec.healthcheck) {
    const own = spec.healthcheck;
    const inherit = new Set(own.fromImage ?? []);
    const pick = <K extends HealthcheckField>(key: K): Healthcheck[K] => (inherit.has(key) ? (img[key] ?? own[key]) : own[key]);
    from = {
      test: pick('test'),
      interval: pick('interval'),
      timeout: pick('timeout'),
      retries: pick('retries'),
      start_period: pick('start_period'),
      start_interval: own.start_interval,
    };
  }
  // Docker ignores an image healthcheck of another kind ("NONE", or a broken one), and so do we.
  const test = from?.test ?? [];
  if (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL') return undefined;
  return {
    test,
    interval: from!.interval || 30_000,
    timeout: from!.timeout || 30_000,
    retries: from!.retries || 3,
    start_period: from!.start_period ?? 0,
    start_interval: from!.start_interval || 5_000,
  };
}

/**
 * A healthcheck's test as an argv, as Docker runs it: `CMD a b` as is, `CMD-SHELL text` through
 * `/bin/sh -c`. containerHealthcheck lets no other kind through.
 */
export function healthcheckArgv(test: readonly string[]): string[] {
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', ...rest];
  throw new RuntimeError('healthcheck', `unknown test kind ${JSON.stringify(kind)}; expected CMD or CMD-SHELL`);
}
