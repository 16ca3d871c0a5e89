/**
 * When a supervisor has nothing left to do, it goes: no container of its project runs, no restart
 * is pending, and no command is connected (a follower of events does not count: it reads the
 * project's event log). It waits a short grace period first, so back-to-back commands (`stop`
 * then `start`, a script's `up` then `ps`) find it still there; the next command that needs one
 * starts another, which reads what this one left on disk (records, logs, event log).
 */

/** How long a supervisor with nothing to do stays (HAFEN_SUPERVISOR_IDLE_MS overrides; 0 never exits). */
export const IDLE_GRACE_MS = 2000;
/** How often it looks again while containers run that it does not watch (started by another process). */
const RECHECK_MS = 30_000;

/** What the idle check asks its supervisor. */
export interface IdleFacts {
  /** Something is in hand now: a command connected, a container watched or waiting for its restart. */
  busy(): boolean;
  /** Whether a container of the project runs (read from its state). */
  anyRunning(): Promise<boolean>;
  /** Shuts the supervisor down. */
  exit(): void;
}

/** The grace period from the environment: HAFEN_SUPERVISOR_IDLE_MS (ms; 0 or less: never exit). */
export function idleGraceMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.HAFEN_SUPERVISOR_IDLE_MS;
  if (raw === undefined || raw.trim() === '') return IDLE_GRACE_MS;
  const ms = Number(raw);
  if (!Number.isFinite(ms)) return IDLE_GRACE_MS;
  return ms > 0 ? ms : undefined;
}

/** One timer, set again whenever something changes that may have left the supervisor idle. */
export class IdleExit {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly facts: IdleFacts,
    /** Undefined: never exits. */
    private readonly graceMs: number | undefined,
  ) {}

  /** Something ended (a connection, a watch): look again after the grace period, unless busy. */
  poke(): void {
    if (this.stopped || this.graceMs === undefined || this.facts.busy()) return;
    this.arm(this.graceMs);
  }

  /** No more looks (the supervisor is closing). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), ms);
  }

  private async check(): Promise<void> {
    if (this.stopped || this.facts.busy()) return;
    const running = await this.facts.anyRunning().catch(() => true);
    // Looked again after the wait: a command may have connected meanwhile.
    if (this.stopped || this.facts.busy()) return;
    if (running) return this.arm(RECHECK_MS);
    this.stopped = true;
    this.facts.exit();
  }
}
