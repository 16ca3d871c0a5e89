/**
 * Single probes of readiness. `ready:` checks run from here, outside the container (tcp, http, log
 * line, exec inside); `healthcheck:` is run by the runtime, and its probe reads the reported health.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { Healthcheck, Millis, ReadyCheck } from '../../config/model.js';
import { assertNever } from '../../planner/plan.js';
import type { ContainerInfo, Runtime } from '../../runtime/runtime.js';
import type { ResolveEndpoint } from './endpoint.js';

/** One probe's result: `fatal` ends the wait at once (the runtime gave up on the container). */
export interface ProbeOutcome {
  status: 'ok' | 'pending' | 'fatal';
  detail: string;
}

/** A check to run repeatedly until it passes, with its timing. */
export interface Probe {
  /** How errors and events name it: `healthcheck`, `tcp 5432`, `http :8080/health`, `log /ready/`, `exec pg_isready`. */
  readonly check: string;
  /** First probe after this, then backing off ×1.5 … */
  readonly startInterval: Millis;
  /** … up to this. */
  readonly interval: Millis;
  /** Longest one probe may take. */
  readonly timeout: Millis;
  /** Probes once; `info` is the container as just inspected, running. */
  run(info: ContainerInfo, signal: AbortSignal): Promise<ProbeOutcome>;
  /** Resolves when probing again early is worth it (a log line matched). */
  wake?(): Promise<void>;
  /** Releases what the probe holds (a log stream). */
  close?(): void;
}

/**
 * The runtime reports health in inspect, which is cheap to poll, so health is looked at at least this
 * often whatever the healthcheck's `interval` (how often the runtime runs the check) says.
 */
export const HEALTH_POLL_MAX: Millis = 500;

const ok = (detail: string): ProbeOutcome => ({ status: 'ok', detail });
const pending = (detail: string): ProbeOutcome => ({ status: 'pending', detail });

/** The runtime's verdict on the container's own healthcheck. */
export function healthProbe(hc: Healthcheck): Probe {
  return {
    check: 'healthcheck',
    startInterval: hc.start_interval,
    interval: Math.min(hc.interval, HEALTH_POLL_MAX),
    timeout: Math.max(hc.timeout, HEALTH_POLL_MAX),
    async run(info) {
      switch (info.health) {
        case 'healthy':
          return ok('healthy');
        case 'unhealthy':
          return { status: 'fatal', detail: `unhealthy after ${hc.retries} failed ${hc.retries === 1 ? 'check' : 'checks'}` };
        case 'starting':
          return pending('health: starting');
        case 'none':
          return pending('no health reported yet');
        default:
          return assertNever(info.health);
      }
    },
  };
}

/**
 * The runtime's verdict on the healthcheck the image brings (`service_healthy` on a service whose
 * stack file sets none, as Compose allows): a running container reporting no health has none at all.
 */
export function imageHealthProbe(): Probe {
  return {
    check: 'healthcheck',
    startInterval: 50,
    interval: HEALTH_POLL_MAX,
    timeout: HEALTH_POLL_MAX,
    async run(info) {
      switch (info.health) {
        case 'healthy':
          return ok('healthy');
        case 'unhealthy':
          return { status: 'fatal', detail: "unhealthy: its image's HEALTHCHECK failed" };
        case 'starting':
          return pending('health: starting');
        case 'none':
          return { status: 'fatal', detail: 'it has no healthcheck: the stack file sets none and its image has no HEALTHCHECK (add healthcheck: or ready:, or use service_started)' };
        default:
          return assertNever(info.health);
      }
    },
  };
}

/** What a `ready:` probe needs from the run. */
export interface ReadyProbeContext {
  runtime: Runtime;
  resolveEndpoint: ResolveEndpoint;
}

/** The `ready:` check of one container. */
export function readyProbe(ready: ReadyCheck, container: string, ctx: ReadyProbeContext): Probe {
  const timing = { startInterval: ready.start_interval, interval: ready.interval, timeout: ready.timeout };
  switch (ready.kind) {
    case 'tcp':
      return {
        check: `tcp ${ready.port}`,
        ...timing,
        run: (info, signal) =>
          endpointProbe(ctx, info, ready.port, signal, (at) =>
            // issue 19: a remote runtime probes from its own host.
            ctx.runtime.probeEndpoint ? ctx.runtime.probeEndpoint({ kind: 'tcp', ...at, container }, signal) : tcpConnect(at.host, at.port, signal),
          ),
      };
    case 'http':
      return {
        check: `http :${ready.port}${ready.path}`,
        ...timing,
        run: (info, signal) =>
          endpointProbe(ctx, info, ready.port, signal, (at) =>
            ctx.runtime.probeEndpoint
              ? ctx.runtime.probeEndpoint({ kind: 'http', ...at, path: ready.path, status: ready.status, container }, signal)
              : httpGet(at.host, at.port, ready.path, ready.status, signal),
          ),
      };
    case 'exec':
      return {
        check: `exec ${ready.command.join(' ')}`,
        ...timing,
        async run() {
          const r = await ctx.runtime.exec(container, { command: ready.command });
          if (r.exitCode === 0) return ok('exit 0');
          const said = lastLine(r.stderr) || lastLine(r.stdout);
          return pending(`exit ${r.exitCode}${said ? `: ${said}` : ''}`);
        },
      };
    case 'log':
      return logProbe(ready, container, ctx.runtime, timing);
    default:
      return assertNever(ready);
  }
}

/** How far before its start time a container's first lines may be stamped (Docker stamps some a few ms before StartedAt). */
const START_STAMP_SLACK_MS = 1000;

/**
 * Where a log probe reads from: a little before the container's start, since an engine may stamp
 * the first lines before the start time it reports, but never into the previous run's lines.
 */
export function logProbeSince(info: Pick<ContainerInfo, 'startedAt' | 'finishedAt'>): string | undefined {
  if (!info.startedAt) return undefined;
  const started = Date.parse(info.startedAt);
  const previousEnd = info.finishedAt ? Date.parse(info.finishedAt) : NaN;
  const from = Number.isFinite(previousEnd) && previousEnd < started ? Math.max(started - START_STAMP_SLACK_MS, previousEnd + 1) : started - START_STAMP_SLACK_MS;
  return new Date(from).toISOString();
}

/** Follows the container's log from its start and passes once a line matches. */
function logProbe(
  ready: Extract<ReadyCheck, { kind: 'log' }>,
  container: string,
  runtime: Runtime,
  timing: Pick<Probe, 'startInterval' | 'interval' | 'timeout'>,
): Probe {
  const pattern = new RegExp(ready.pattern);
  const stop = new AbortController();
  let matched: string | undefined;
  let failed: string | undefined;
  let started = false;
  let wakeUp: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => (wakeUp = resolve));
  const follow = async (since: string | undefined): Promise<void> => {
    try {
      for await (const line of runtime.logs(container, { follow: true, signal: stop.signal, ...(since ? { since } : {}) })) {
        if (pattern.test(line.text)) {
          matched = line.text.replace(/\r?\n$/, '');
          break;
        }
      }
    } catch (err) {
      if (!stop.signal.aborted) failed = err instanceof Error ? err.message : String(err);
    }
    if (matched !== undefined) wakeUp();
  };
  return {
    check: `log /${ready.pattern}/`,
    ...timing,
    async run(info) {
      if (!started) {
        started = true;
        void follow(logProbeSince(info));
      }
      if (matched !== undefined) return ok(matched);
      return pending(failed ? `cannot read the log: ${failed}` : `no line matches /${ready.pattern}/ yet`);
    },
    wake: () => woken,
    close: () => stop.abort(),
  };
}

/** Runs `connect` against the container port's endpoint, if it has one yet. */
async function endpointProbe(
  ctx: ReadyProbeContext,
  info: ContainerInfo,
  port: number,
  signal: AbortSignal,
  connect: (at: { host: string; port: number }) => Promise<ProbeOutcome>,
): Promise<ProbeOutcome> {
  const at = ctx.resolveEndpoint(info, port);
  if (!at) return pending(`no address for port ${port} yet`);
  signal.throwIfAborted();
  return connect(at);
}

/** Passes when a TCP connection opens. */
export function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (outcome: ProbeOutcome): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => done(pending('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => done(ok(`connected to ${host}:${port}`)));
    socket.once('error', (err: NodeJS.ErrnoException) => done(pending(`${host}:${port}: ${err.code ?? err.message}`)));
  });
}

/** Passes when `GET path` answers with the expected status (redirects are not followed). */
export function httpGet(host: string, port: number, path: string, status: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path, method: 'GET', signal, headers: { 'user-agent': 'hafen-ready' } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code === status ? ok(`HTTP ${code}`) : pending(`HTTP ${code}, want ${status}`));
    });
    req.once('error', (err: NodeJS.ErrnoException) => resolve(pending(`${host}:${port}: ${err.code ?? err.message}`)));
    req.end();
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
