/** The probing loop of one check on one container: at once, then backing off from `start_interval`; stop on exit or deadline. */
import type { Millis } from '../../config/model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Clock } from '../clock.js';
import { formatDuration } from '../../format/duration.js';
import type { EventInput, Subject } from '../events.js';
import { CheckFailure } from './failure.js';
import type { ContainerChanges } from './container-changes.js';
import type { Probe, ProbeOutcome } from './probes.js';
import { backoff, pause, withTimeout } from './timing.js';

/** What the loop needs from the run. */
export interface PollContext {
  runtime: Runtime;
  clock: Clock;
  emit(event: EventInput): void;
  /** Clock time when the wait gives up. */
  deadline: number;
  /** How long the wait may take in all, for the message when it does not. */
  waitTimeout: Millis;
  /** The containers' events, which end a pause between probes early. */
  changes?: ContainerChanges;
}

/**
 * Probes until the check passes: the first probe at once (a service that is ready when its process
 * has started is seen ready without a wait), then after `start_interval`, backing off ×1.5 up to
 * `interval`; a pause ends early when the probe or the container's events say something changed.
 * Throws a CheckFailure when the container exits (or goes), when the probe reports a fatal outcome,
 * or when the deadline passes; the signal's reason when it aborts.
 */
export async function pollUntilReady(probe: Probe, subject: Subject & { container: string }, ctx: PollContext, signal: AbortSignal): Promise<void> {
  let delay = probe.startInterval;
  let attempt = 0;
  let last = 'no probe ran';
  for (;;) {
    // Taken before looking, so an event that comes while the probe runs cuts the next pause short.
    const seen = ctx.changes?.version(subject.container) ?? 0;
    if (await probeOnce()) return;
    const left = ctx.deadline - ctx.clock.now();
    if (left <= 0) throw new CheckFailure(probe.check, `not ready after ${formatDuration(ctx.waitTimeout)} (last probe: ${last})`);
    const wakes = [probe.wake?.(), ctx.changes?.after(subject.container, seen)].filter((w): w is Promise<void> => w !== undefined);
    await pause(ctx.clock, Math.min(delay, left), signal, wakes.length > 0 ? Promise.race(wakes) : undefined);
    // Woken by an event, the pause was not waited out: the next one is no longer.
    if ((ctx.changes?.version(subject.container) ?? 0) === seen) delay = backoff(delay, probe.interval);
  }

  /** One look at the container and, when it runs, one probe; true when the check passed. */
  async function probeOnce(): Promise<boolean> {
    const info = await ctx.runtime.inspectContainer(subject.container);
    if (!info) throw new CheckFailure(probe.check, 'the container is gone');
    if (info.state === 'exited' || info.state === 'dead') {
      const oom = info.oomKilled ? ' (out of memory)' : '';
      throw new CheckFailure(probe.check, `exited with code ${info.exitCode ?? 'unknown'}${oom} before it was ready`);
    }
    if (info.state !== 'running') return false;

    attempt++;
    const outcome = await withTimeout(
      ctx.clock,
      probe.timeout,
      signal,
      (s) => probe.run(info, s).catch((err: unknown): ProbeOutcome => ({ status: 'pending', detail: message(err) })),
      (): ProbeOutcome => ({ status: 'pending', detail: `timed out after ${formatDuration(probe.timeout)}` }),
    );
    signal.throwIfAborted();
    ctx.emit({ kind: 'probe', ...subject, check: probe.check, ok: outcome.status === 'ok', detail: outcome.detail, attempt });
    if (outcome.status === 'fatal') throw new CheckFailure(probe.check, outcome.detail);
    last = outcome.detail;
    return outcome.status === 'ok';
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
