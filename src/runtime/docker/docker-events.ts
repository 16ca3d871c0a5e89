/**
 * Container events from a Docker engine (`GET /events`, filtered by label and type), as the
 * runtime-neutral ContainerEvent: Docker's `health_status: healthy` becomes the action
 * `health_status` with its health apart; actions hafen does not name (exec_*, attach, …) are left out.
 */
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import { CONTAINER_EVENT_ACTIONS, type ContainerEvent, type ContainerEventAction, type EventOptions, type Health } from '../runtime.js';
import { engineMessage } from './docker-errors.js';

/** One message of the engine's event stream (the fields read here). */
interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Attributes Docker adds beside the container's labels. */
const NOT_LABELS = new Set(['name', 'image', 'exitCode', 'signal', 'execID', 'execDuration']);

/** An engine event as a ContainerEvent; undefined for what hafen does not report. */
export function fromEngineEvent(e: EngineEvent): ContainerEvent | undefined {
  if (e.Type !== 'container' || !e.Action) return undefined;
  const [head, rest] = e.Action.split(/:\s*/, 2);
  if (!(CONTAINER_EVENT_ACTIONS as readonly string[]).includes(head!)) return undefined;
  const action = head as ContainerEventAction;
  const attrs = e.Actor?.Attributes ?? {};
  const ms = e.timeNano !== undefined ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000;
  const labels = Object.fromEntries(Object.entries(attrs).filter(([k]) => !NOT_LABELS.has(k)));
  return {
    time: new Date(ms).toISOString(),
    action,
    id: e.Actor?.ID ?? '',
    name: attrs.name ?? '',
    ...(attrs.image !== undefined ? { image: attrs.image } : {}),
    labels,
    ...(action === 'die' && attrs.exitCode !== undefined ? { exitCode: Number(attrs.exitCode) } : {}),
    ...(action === 'kill' && attrs.signal !== undefined ? { signal: attrs.signal } : {}),
    ...(action === 'health_status' && rest ? { health: rest as Health } : {}),
  };
}

/** Follows the engine's container events of containers carrying `labels` until the signal aborts. */
export async function* engineEvents(docker: Docker, labels: Record<string, string>, opts: EventOptions): AsyncIterable<ContainerEvent> {
  const since = opts.since === undefined ? undefined : (typeof opts.since === 'number' ? opts.since : Date.parse(opts.since)) / 1000;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getEvents({
      filters: { type: ['container'], label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } as never,
      ...(since !== undefined && !Number.isNaN(since) ? { since } : {}),
    });
  } catch (err) {
    throw new RuntimeError('events', `cannot follow the engine's events: ${engineMessage(err)}`, { cause: err });
  }
  const destroy = (): void => void (stream as unknown as { destroy(): void }).destroy();
  if (opts.signal.aborted) return destroy();
  opts.signal.addEventListener('abort', destroy, { once: true });
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      rest += chunk.toString();
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        const event = fromEngineEvent(JSON.parse(line) as EngineEvent);
        if (event) yield event;
      }
    }
  } catch (err) {
    if (!opts.signal.aborted) throw new RuntimeError('events', `the engine's event stream broke: ${engineMessage(err)}`, { cause: err });
  } finally {
    opts.signal.removeEventListener('abort', destroy);
    destroy();
  }
}

/** Several event streams as one, each event as it comes; ends when all have ended, fails with the first that fails. */
export async function* mergeEvents(sources: AsyncIterable<ContainerEvent>[]): AsyncIterable<ContainerEvent> {
  const queue: ContainerEvent[] = [];
  let wake: (() => void) | undefined;
  let running = sources.length;
  let failure: unknown;
  for (const source of sources) {
    void (async () => {
      try {
        for await (const e of source) {
          queue.push(e);
          wake?.();
        }
      } catch (err) {
        failure ??= err;
      } finally {
        running--;
        wake?.();
      }
    })();
  }
  for (;;) {
    const next = queue.shift();
    if (next) {
      yield next;
      continue;
    }
    if (failure !== undefined) throw failure;
    if (running === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}
