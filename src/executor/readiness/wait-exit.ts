/** wait-exit: a one-shot service's containers run to their end; exit 0 passes, anything else fails with the logs. */
import type { PlanNodeOf } from '../../planner/plan.js';
import type { ExitStatus } from '../../runtime/runtime.js';
import { formatDuration } from '../../format/duration.js';
import { subjectOf } from '../names.js';
import { reportState, type OperationContext } from '../operations/context.js';
import { CheckFailure, readinessError } from './failure.js';
import { allOrNothing, withTimeout } from './timing.js';

/** The check a one-shot's failure names: the depends_on condition that waits on it. */
export const COMPLETION_CHECK = 'service_completed_successfully';

/** Waits until every container of the node's service has exited with the expected code. */
export async function waitExit(node: PlanNodeOf<'wait-exit'>, ctx: OperationContext): Promise<void> {
  const deadline = ctx.clock.now() + ctx.waitTimeout;

  const waitOne = async (container: string, signal: AbortSignal): Promise<void> => {
    const subject = { ...subjectOf(ctx.stack, node.service, container), container };
    const left = Math.max(0, deadline - ctx.clock.now());
    const status = await withTimeout<ExitStatus | undefined>(
      ctx.clock,
      left,
      signal,
      (s) => ctx.runtime.waitContainer(container, s),
      () => undefined,
    );
    signal.throwIfAborted();
    let failure: CheckFailure | undefined;
    if (!status) {
      failure = new CheckFailure(COMPLETION_CHECK, `did not exit within ${formatDuration(ctx.waitTimeout)}`);
    } else {
      const oom = status.oomKilled ? ' (out of memory)' : '';
      reportState(ctx, subject, 'exited', { exitCode: status.exitCode, ...(oom ? { detail: 'out of memory' } : {}) });
      if (status.exitCode !== node.exitCode) failure = new CheckFailure(COMPLETION_CHECK, `exited with code ${status.exitCode}${oom}`);
    }
    if (failure) {
      // A non-zero exit was told as `exited` already; a wait that ran out is told here.
      if (!status) reportState(ctx, subject, 'failed', { detail: failure.reason });
      throw await readinessError(ctx.runtime, ctx.clock, subject, failure);
    }
  };

  await allOrNothing(
    ctx.signal,
    node.containers.map((container) => (signal: AbortSignal) => waitOne(container, signal)),
  );
}
