/**
 * A container's `healthcheck:`, run by the runtime as Docker's engine runs it: the test inside the
 * container every `interval`, `healthy` on the first success, `unhealthy` after `retries` failures
 * in a row (failures during the start period do not count). Unlike Docker, the first test runs the
 * moment the container has started, and until the first success the next ones run after
 * `start_interval`, backing off (x1.5) towards `interval`, start period or not, so a service that is
 * healthy is seen healthy at once. Runs while the runtime instance that started the container lives; timers do not keep
 * the process alive.
 */
import type { Healthcheck } from '../../../config/model.js';
import type { Health } from '../../runtime.js';
import { healthcheckArgv } from './process-spec.js';

/** Runs the test inside the container; resolves with its exit code (killed and failing after `timeoutMs`). */
export type HealthExec = (argv: string[], timeoutMs: number) => Promise<number>;

/** One container's healthcheck loop. */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  private health: Health = 'starting';
  private readonly startedAt = Date.now();
  /** Delay before the next check while the container has never been healthy. */
  private startingDelay: number;
  /** When a failure last counted: fast probes count at most one failure per `interval`, as Docker would see. */
  private lastCounted = Date.now();

  constructor(
    private readonly check: Healthcheck,
    private readonly exec: HealthExec,
    private readonly onChange: (health: Health) => void,
  ) {
    this.startingDelay = Math.min(check.start_interval, check.interval);
  }

  /**
   * Runs the first check at once (in the next turn of the event loop, so the start that called this
   * is answered first): a service that is healthy as soon as its process runs is seen healthy without a wait.
   */
  start(): void {
    this.timer = setTimeout(() => void this.runOnce(), 0);
    this.timer.unref();
  }

  /** Stops checking (a check under way finishes unreported). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private inStartPeriod(): boolean {
    return Date.now() - this.startedAt < this.check.start_period;
  }

  private schedule(): void {
    if (this.stopped) return;
    let delay = this.check.interval;
    if (this.health === 'starting') {
      delay = this.startingDelay;
      this.startingDelay = Math.min(this.check.interval, Math.ceil(this.startingDelay * 1.5));
    }
    this.timer = setTimeout(() => void this.runOnce(), delay);
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    let code: number;
    try {
      code = await this.exec(healthcheckArgv(this.check.test), this.check.timeout);
    } catch {
      code = -1;
    }
    if (this.stopped) return;
    if (code === 0) {
      this.failures = 0;
      this.set('healthy');
    } else if ((!this.inStartPeriod() || this.health !== 'starting') && Date.now() - this.lastCounted >= this.check.interval) {
      this.lastCounted = Date.now();
      this.failures++;
      if (this.failures >= this.check.retries) this.set('unhealthy');
    }
    this.schedule();
  }

  private set(health: Health): void {
    if (health === this.health) return;
    this.health = health;
    this.onChange(health);
  }
}

/** The health monitors of the containers this runtime instance started, by container name. */
export class HealthMonitors {
  private readonly byName = new Map<string, HealthMonitor>();

  /** Starts checking `name` (replacing an earlier monitor of it). */
  start(name: string, check: Healthcheck, exec: HealthExec, onChange: (health: Health) => void): void {
    this.stop(name);
    const monitor = new HealthMonitor(check, exec, onChange);
    this.byName.set(name, monitor);
    monitor.start();
  }

  stop(name: string): void {
    this.byName.get(name)?.stop();
    this.byName.delete(name);
  }

  stopAll(): void {
    for (const name of [...this.byName.keys()]) this.stop(name);
  }
}
