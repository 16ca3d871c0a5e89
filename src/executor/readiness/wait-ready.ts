/**
 * wait-ready: every container of the service passes its checks, the `healthcheck:` the runtime runs
 * and the `ready:` probe hafen runs, both when it has both. Containers and checks are waited on in
 * parallel; the first failure ends the wait for all of them.
 */
import { RuntimeError } from '../../errors.js';
import { Label } from '../../runtime/runtime.js';
import type { PlanNodeOf } from '../../planner/plan.js';
import { subjectOf } from '../names.js';
import { reportState, type OperationContext } from '../operations/context.js';
import { CheckFailure, readinessError } from './failure.js';
import { followChanges } from './container-changes.js';
import { pollUntilReady, type PollContext } from './poll.js';
import { healthProbe, imageHealthProbe, readyProbe, type Probe } from './probes.js';
import { allOrNothing } from './timing.js';

/** Waits until every container of the node's service is ready. */
export async function waitReady(node: PlanNodeOf<'wait-ready'>, ctx: OperationContext): Promise<void> {
  const service = ctx.stack.services[node.service];
  if (!service) throw new RuntimeError(node.resource, `service ${node.service} is not in the stack`);
  const started = ctx.clock.now();
  const poll: PollContext = {
    runtime: ctx.runtime,
    clock: ctx.clock,
    emit: (e) => ctx.emit(e),
    deadline: started + ctx.waitTimeout,
    waitTimeout: ctx.waitTimeout,
  };
  // Ended with the wait (the `finally` below), which also ends the runtime's event stream.
  const following = new AbortController();
  poll.changes = followChanges(ctx.runtime, { [Label.project]: ctx.stack.name, [Label.service]: node.service }, started, following.signal);

  const waitOne = async (container: string, signal: AbortSignal): Promise<void> => {
    const subject = { ...subjectOf(ctx.stack, node.service, container), container };
    const probes: Probe[] = [];
    if (node.healthcheck) probes.push(service.healthcheck ? healthProbe(service.healthcheck) : imageHealthProbe());
    if (node.ready && service.ready) probes.push(readyProbe(service.ready, container, ctx));
    reportState(ctx, subject, 'checking', { detail: probes.map((p) => p.check).join(', ') });
    try {
      await allOrNothing(
        signal,
        probes.map((probe) => (s: AbortSignal) => pollUntilReady(probe, subject, poll, s)),
      );
    } catch (err) {
      if (!(err instanceof CheckFailure)) throw err;
      reportState(ctx, subject, 'failed', { detail: `${err.check}: ${err.reason}` });
      throw await readinessError(ctx.runtime, ctx.clock, subject, err);
    } finally {
      for (const probe of probes) probe.close?.();
    }
    reportState(ctx, subject, 'ready');
  };

  try {
    await allOrNothing(
      ctx.signal,
      node.containers.map((container) => (signal: AbortSignal) => waitOne(container, signal)),
    );
  } finally {
    following.abort();
  }
}
