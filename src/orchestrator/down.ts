/**
 * `down` for the CLI and the library: stop and remove the project's containers in reverse
 * dependency order through whoever owns them, stop the supervisor, then remove everything the
 * project's ledger still names (so a killed supervisor or CLI leaves nothing either).
 */
import type { Millis, Stack } from '../config/model.js';
import { executePlan } from '../executor/execute.js';
import type { EventSink } from '../executor/events.js';
import { planDown } from '../planner/index.js';
import { EmbeddedRuntime } from '../runtime/embedded/embedded-runtime.js';
import { observeProject } from './observe.js';
import { openProjectRuntime, withProjectLock, type ProjectRuntime } from './project-runtime.js';
import { Label } from '../runtime/runtime.js';

export interface DownStackOptions {
  sink: EventSink;
  /** Remove named volumes too (`-v`). */
  volumes?: boolean;
  /** Grace period instead of each service's own. */
  timeout?: Millis;
  root?: string;
}

/** Takes the project of `stack` down; resolves to the number of containers removed. */
export async function downStack(stack: Stack, options: DownStackOptions): Promise<number> {
  const opened = await openProjectRuntime(stack.name, { supervise: false, ...(options.root ? { root: options.root } : {}) });
  return withProjectLock(opened.root, stack.name, async () => {
    let removed = 0;
    try {
      const observed = await observeProject(opened.runtime, stack);
      removed = observed.containers.length;
      const plan = planDown(stack, observed, {
        removeOrphans: true,
        ...(options.volumes ? { volumes: true } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      });
      await executePlan(plan, { runtime: opened.runtime, stack, sink: options.sink });
    } finally {
      await opened.supervisor?.shutdown();
      await opened.close();
      await cleanupProject(opened.root, stack.name, options.volumes === true);
    }
    return removed;
  });
}

/** Removes everything the project's ledger names; named volumes stay unless `volumes`. */
export async function cleanupProject(root: string, project: string, volumes: boolean): Promise<void> {
  const local = new EmbeddedRuntime({ root });
  try {
    await local.cleanupProject(project, { keepVolumes: !volumes });
  } finally {
    await local.close();
  }
}

/** After a rollback: when nothing of the project is left, its supervisor and state go too. */
export async function stopWhenEmpty(opened: ProjectRuntime, project: string): Promise<void> {
  try {
    const left = await opened.runtime.listContainers({ [Label.project]: project });
    if (left.length > 0) return;
    await opened.supervisor?.shutdown();
    await cleanupProject(opened.root, project, false);
  } catch {
    // The error that made `up` fail is the one to report; `down` finishes this.
  }
}
