/**
 * An attached `up`: the containers' logs, merged, until Ctrl-C, or until a container exits when
 * asked (`--abort-on-exit`, `--exit-code-from`). A container with a restart policy, and a one-shot
 * others wait on to complete, are expected to exit and end nothing.
 */
import { setMaxListeners } from 'node:events';
import type { Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import { followLogs } from '../executor/follow-logs.js';
import { buildGraph } from '../planner/index.js';
import type { ContainerRef } from '../planner/plan.js';
import { containerSubject } from '../executor/names.js';
import { Label, type ContainerInfo, type Runtime } from '../runtime/runtime.js';

export interface AttachOptions {
  runtime: Runtime;
  stack: Stack;
  sink: EventSink;
  containers: readonly ContainerInfo[];
  /** Ctrl-C. */
  signal: AbortSignal;
  abortOnExit?: boolean;
  /** End when this service's container exits, with its exit code. */
  exitCodeFrom?: string;
  /** Show lines from this time on (ISO): when `up` began, so what a one-shot printed before is not lost. */
  since?: string;
  /** `--attach`: only these services' logs are shown (even one with `attach: false`), as in Compose. */
  attach?: readonly string[];
  /** `--no-attach`: these services' logs are not shown. */
  noAttach?: readonly string[];
}

export type AttachEnd = { reason: 'interrupt' } | { reason: 'exit'; container: string; service: string; exitCode: number } | { reason: 'all-exited' };

export async function attach(options: AttachOptions): Promise<AttachEnd> {
  const { runtime, stack, containers } = options;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one per log stream and watched container
  const onInterrupt = (): void => stop.abort();
  options.signal.addEventListener('abort', onInterrupt, { once: true });

  const restarts = (service: string): boolean => (stack.services[service]?.restart.policy ?? 'no') !== 'no';
  const refs: ContainerRef[] = containers.map((c) => ({
    service: c.labels[Label.service] ?? c.name,
    number: Number(c.labels[Label.instance] ?? 1),
    container: c.name,
  }));
  // `attach: false` (Compose): its logs are not shown; it still counts for --abort-on-exit and --exit-code-from.
  // --attach names the shown services instead; --no-attach takes some away.
  const attached = (service: string): boolean =>
    (options.attach?.length ? options.attach.includes(service) : stack.services[service]?.attach !== false) && !options.noAttach?.includes(service);
  const shown = refs.filter((ref) => attached(ref.service));
  const logs = Promise.all(
    shown.map((ref) =>
      restarts(ref.service)
        ? followAcrossRestarts(runtime, stack, ref, options.sink, stop.signal, options.since)
        : followLogs({ runtime, stack, containers: [ref], sink: options.sink, signal: stop.signal, ...(options.since ? { since: options.since } : { tail: 0 }) }),
    ),
  ).catch(() => {});

  const graph = buildGraph(stack);
  const awaited = new Set<string>();
  for (const edges of graph.dependencies.values()) for (const e of edges) if (e.condition === 'service_completed_successfully') awaited.add(e.to);
  const endsNothing = (c: ContainerInfo): boolean => {
    const service = c.labels[Label.service] ?? '';
    return awaited.has(service) || restarts(service);
  };

  const end = await new Promise<AttachEnd>((resolve) => {
    if (options.signal.aborted) return resolve({ reason: 'interrupt' });
    options.signal.addEventListener('abort', () => resolve({ reason: 'interrupt' }), { once: true });
    const watched = containers.filter((c) => c.state === 'running' && !endsNothing(c));
    let left = watched.length;
    for (const c of containers.filter((x) => x.state === 'running')) {
      const service = c.labels[Label.service] ?? '';
      const counts = watched.includes(c);
      const decisive = service === options.exitCodeFrom || (options.abortOnExit === true && counts && !options.exitCodeFrom);
      if (!decisive && !counts) continue;
      runtime.waitContainer(c.name, stop.signal).then(
        ({ exitCode }) => {
          if (decisive) return resolve({ reason: 'exit', container: c.name, service, exitCode });
          if (--left === 0) resolve({ reason: 'all-exited' });
        },
        () => {},
      );
    }
    // exit-code-from a service that already finished: its code now.
    const done = containers.find((c) => c.labels[Label.service] === options.exitCodeFrom && c.state !== 'running');
    if (done) resolve({ reason: 'exit', container: done.name, service: options.exitCodeFrom!, exitCode: done.exitCode ?? 0 });
  });
  // Give the log streams a moment to drain the last lines of what ended.
  await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  options.signal.removeEventListener('abort', onInterrupt);
  await logs;
  return end;
}

/**
 * The log of a container with a restart policy: when its run ends, the next run (started by the
 * supervisor or the engine) is followed on from the last line seen.
 */
async function followAcrossRestarts(
  runtime: Runtime,
  stack: Stack,
  ref: ContainerRef,
  sink: EventSink,
  signal: AbortSignal,
  since: string | undefined,
): Promise<void> {
  const subject = containerSubject(stack, ref);
  let last: string | undefined;
  let startedAt = (await runtime.inspectContainer(ref.container))?.startedAt;
  while (!signal.aborted) {
    const from = last ?? since;
    try {
      for await (const line of runtime.logs(ref.container, { follow: true, signal, ...(from ? { since: from } : { tail: 0 }) })) {
        if (last !== undefined && line.time <= last) continue; // seen before this run ended
        last = line.time;
        sink({ kind: 'log', time: Date.parse(line.time) || Date.now(), ...subject, stream: line.stream, text: line.text.replace(/\r?\n$/, '') });
      }
    } catch {
      if (signal.aborted) return;
    }
    // This run is over: wait for the next one (or for the end of attaching).
    for (;;) {
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, 100));
      const now = await runtime.inspectContainer(ref.container).catch(() => undefined);
      if (!now) return;
      if (now.state === 'running' && now.startedAt !== startedAt) {
        startedAt = now.startedAt;
        break;
      }
    }
  }
}
