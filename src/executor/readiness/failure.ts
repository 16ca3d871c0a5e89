/** Readiness failures as users read them: the service, the check, how it failed, its last log lines. */
import type { Millis } from '../../config/model.js';
import { ReadinessError } from '../../errors.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Clock } from '../clock.js';
import type { Subject } from '../events.js';

/** Log lines a readiness failure shows. */
export const LOG_TAIL_LINES = 20;
/** Longest the log tail may take to read before the failure is reported without it. */
const LOG_TAIL_WAIT: Millis = 2000;

/** A check that failed for good, before the log tail is attached. */
export class CheckFailure extends Error {
  constructor(
    readonly check: string,
    readonly reason: string,
  ) {
    super(`${check} failed: ${reason}`);
  }
}

/** The ReadinessError of a failed check, with the container's last log lines. */
export async function readinessError(
  runtime: Runtime,
  clock: Clock,
  subject: Subject,
  failure: CheckFailure,
): Promise<ReadinessError> {
  const tail = subject.container ? await logTail(runtime, clock, subject.container) : [];
  const reason = subject.name !== subject.service ? `${subject.name} ${failure.reason}` : failure.reason;
  return new ReadinessError(subject.service, failure.check, reason, tail);
}

/** The container's last lines, or none if the runtime cannot say (quickly). */
export async function logTail(runtime: Runtime, clock: Clock, container: string, lines = LOG_TAIL_LINES): Promise<string[]> {
  const stop = new AbortController();
  const out: string[] = [];
  const read = (async () => {
    for await (const line of runtime.logs(container, { tail: lines, signal: stop.signal })) {
      out.push(line.text.replace(/\r?\n$/, ''));
    }
  })();
  read.catch(() => undefined);
  try {
    await Promise.race([read, clock.sleep(LOG_TAIL_WAIT, stop.signal)]);
  } catch {
    // No log lines then: the failure itself still says what happened.
  } finally {
    stop.abort();
  }
  return out.slice(-lines);
}
