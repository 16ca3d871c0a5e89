/**
 * Restart policies as a container label (`io.hafen.restart`), so whoever supervises a container
 * reads its policy back from the runtime, and the decision whether an exit is followed by a restart.
 */
import type { RestartPolicy } from '../config/model.js';

/** The label value of a policy: `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:3`. */
export function formatRestartPolicy(p: RestartPolicy): string {
  if (p.policy === 'on-failure' && p.max_retries !== undefined) return `on-failure:${p.max_retries}`;
  return p.policy;
}

/** A label value back as a policy; anything unknown (or absent) is `no`. */
export function parseRestartPolicy(value: string | undefined): RestartPolicy {
  if (value === 'always' || value === 'unless-stopped') return { policy: value };
  const m = /^on-failure(?::(\d+))?$/.exec(value ?? '');
  if (m) return m[1] === undefined ? { policy: 'on-failure' } : { policy: 'on-failure', max_retries: Number(m[1]) };
  return { policy: 'no' };
}

/** Whether a container that exited with `exitCode` after `restarts` restarts goes again. */
export function shouldRestart(p: RestartPolicy, exitCode: number, restarts: number): boolean {
  switch (p.policy) {
    case 'no':
      return false;
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.max_retries === undefined || restarts < p.max_retries);
  }
}

/** Docker's back-off between restarts: 100 ms doubling to a minute, reset after 10 s of running. */
export function nextDelay(previous: number, ranMs: number): number {
  if (ranMs >= 10_000) return 100;
  return Math.min(previous * 2, 60_000);
}
