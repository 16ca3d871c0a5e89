/**
 * `down` on a Docker Swarm: the project's services, networks, secrets and configs removed by its
 * label, waiting for the services' tasks to go (their containers leave each node with them) before
 * the networks, which the engine keeps while an endpoint is still on them.
 */
import type { Millis } from '../../config/model.js';
import { systemClock, type Clock } from '../../executor/clock.js';
import type { EventInput, EventSink } from '../../executor/events.js';
import { RuntimeError } from '../../errors.js';
import { engineMessage } from '../../runtime/docker/docker-errors.js';
import { Label } from '../../runtime/runtime.js';
import { projectLeftovers, projectServices, removeService } from '../../runtime/swarm/swarm-resources.js';
import type { SwarmTarget } from '../../runtime/swarm/swarm-target.js';

/** What `swarmDown` takes besides the project. */
export interface SwarmDownOptions {
  target: SwarmTarget;
  sink: EventSink;
  clock?: Clock;
  /** Longest wait for the tasks and then the networks to go (default 60 s). */
  timeout?: Millis;
}

/** Removes everything of `project` from the swarm; resolves to the number of services removed. */
export async function swarmDown(project: string, options: SwarmDownOptions): Promise<number> {
  const clock = options.clock ?? systemClock;
  const { docker } = options.target;
  const timeout = options.timeout ?? 60_000;
  const emit = (e: EventInput) => options.sink({ ...e, time: clock.now() } as Parameters<EventSink>[0]);
  const started = clock.now();
  const services = [...(await projectServices(docker, project)).values()];
  const nameOf = (s: (typeof services)[number]) => s.Spec?.Labels?.[Label.service] ?? s.Spec?.Name ?? s.ID;
  emit({ kind: 'plan-start', project, action: 'down', nodes: services.length, names: services.map(nameOf) });
  await Promise.all(
    services.map(async (s) => {
      const name = nameOf(s);
      emit({ kind: 'service-state', service: name, name, state: 'removing' });
      await removeService(docker, s.ID);
    }),
  );
  // The tasks of removed services go once their containers are gone from their nodes.
  const ids = new Set(services.map((s) => s.ID));
  const gone = new Set<string>();
  const deadline = clock.now() + timeout;
  while (gone.size < ids.size) {
    const tasks = (await docker.listTasks()) as { ServiceID?: string }[];
    const still = new Set(tasks.map((t) => t.ServiceID ?? ''));
    for (const s of services) {
      if (gone.has(s.ID) || still.has(s.ID)) continue;
      gone.add(s.ID);
      emit({ kind: 'service-state', service: nameOf(s), name: nameOf(s), state: 'removed' });
    }
    if (gone.size === ids.size) break;
    if (clock.now() > deadline) throw new RuntimeError(`project ${project}`, `the tasks of ${services.filter((s) => !gone.has(s.ID)).map(nameOf).join(', ')} did not go within ${Math.round(timeout / 1000)}s`);
    await clock.sleep(500);
  }
  const left = await projectLeftovers(docker, project);
  let id = 0;
  for (const n of left.networks) {
    const opId = ++id;
    const resource = `network:${n.name}`;
    emit({ kind: 'op-start', id: opId, operation: 'remove-network', resource });
    const t0 = clock.now();
    // A node still detaching a task's endpoint keeps the network a moment ("has active endpoints").
    for (;;) {
      try {
        await docker.getNetwork(n.id).remove();
        break;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) break;
        if (clock.now() > deadline) throw new RuntimeError(resource, `remove: ${engineMessage(err)}`);
        await clock.sleep(500);
      }
    }
    emit({ kind: 'op-done', id: opId, operation: 'remove-network', resource, ms: clock.now() - t0 });
  }
  await Promise.all([
    ...left.secrets.map((s) => docker.getSecret(s.id).remove().catch((err: unknown) => { throw new RuntimeError(`secret ${s.name}`, `remove: ${engineMessage(err)}`); })),
    ...left.configs.map((c) => docker.getConfig(c.id).remove().catch((err: unknown) => { throw new RuntimeError(`config ${c.name}`, `remove: ${engineMessage(err)}`); })),
  ]);
  emit({ kind: 'plan-done', ok: true, ms: clock.now() - started });
  return services.length;
}
