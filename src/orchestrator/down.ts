/**
 * `down` for the CLI and the library: stop and remove the project's containers in reverse
 * dependency order through whoever owns them, stop the supervisor, then remove everything the
 * project's ledger still names (so a killed supervisor or CLI leaves nothing either).
 */
import type { Millis, RuntimeName, Stack } from '../config/model.js';
import { executePlan } from '../executor/execute.js';
import type { EventSink } from '../executor/events.js';
import { planDown } from '../planner/index.js';
import type { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import { afterLastStop } from './after-last-stop.js';
import { takeCreatedHostPaths } from './created-host-paths.js';
import { imagesToRemove, removeImages, type RmiMode } from './down-images.js';
import { displayPath } from './host-sources.js';
import { observeProject } from './observe.js';
import { openProjectRuntime, withProjectLock, type ProjectRuntime } from './project-runtime.js';
import { Label } from '../runtime/runtime.js';
import { removeReadiness } from './ready-records.js';
import { traced, traceMark } from '../trace.js';

export interface DownStackOptions {
  sink: EventSink;
  /** Remove named volumes too (`-v`). */
  volumes?: boolean;
  /** Grace period instead of each service's own. */
  timeout?: Millis;
  root?: string;
  /** `--runtime` or HAFEN_RUNTIME; the file's `runtime:` otherwise. */
  runtime?: RuntimeName;
  /** Told the host folders `up` made for binds, which down leaves (they may hold the user's data); and the images `rmi` removed or could not. */
  say?: (line: string) => void;
  // Compose's `down` flags (issue 14).
  /** Also remove images: those the project built under its default name, or all the services use (`--rmi`). */
  rmi?: RmiMode;
}

/** Takes the project of `stack` down; resolves to the number of containers removed. */
export async function downStack(stack: Stack, options: DownStackOptions): Promise<number> {
  const runtime = options.runtime ?? stack.runtime;
  const opened = await traced('open-runtime', undefined, () =>
    openProjectRuntime(stack.name, {
      supervise: false,
      stack,
      ...(options.root ? { root: options.root } : {}),
      ...(runtime ? { runtime } : {}),
    }),
  );
  // The embedded runtime's ledger names what it made; Docker's engine is asked by label instead.
  const embedded = opened.runtime.name === 'embedded';
  // Whether this machine holds a ledger of the project to clean up (not when it runs on other hosts only).
  const cleansHere = embedded && !opened.remote && !opened.nothingHere;
  traceMark('down-lock');
  return withProjectLock(opened.root, stack.name, async () => {
    traceMark('down-locked');
    let removed = 0;
    try {
      const observed = await traced('observe', undefined, () => observeProject(opened.runtime, stack, { images: options.rmi !== undefined }));
      removed = observed.containers.length;
      const plan = planDown(stack, observed, {
        removeOrphans: true,
        ...(options.volumes ? { volumes: true } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        // A stopped embedded container has left its networks: their bridges go beside the removals (issue 16).
        ...(embedded ? { networksAfterStops: true } : {}),
      });
      // A local embedded project's ledger cleanup comes next: its code loads while the plan's last removals wait (after-last-stop.ts).
      const sink = cleansHere ? afterLastStop(plan, options.sink, loadEmbeddedRuntime) : options.sink;
      await executePlan(plan, { runtime: opened.runtime, stack, sink });
      if (options.rmi) {
        const gone = await removeImages(opened.runtime, imagesToRemove(stack, observed.containers, options.rmi), (l) => options.say?.(l));
        if (gone.length > 0) options.say?.(`removed image(s): ${gone.join(', ')}`);
      }
    } finally {
      removeReadiness(opened.root, stack.name);
      await traced('supervisor-shutdown', undefined, () => opened.supervisor?.shutdown());
      const kept = takeCreatedHostPaths(opened.root, stack.name);
      if (kept.length > 0) options.say?.(`kept the folders up made for bind mounts (they may hold data): ${kept.map((k) => displayPath(stack, k.path)).join(', ')}`);
      if (!embedded) await sweepEngine(opened, stack.name, options.volumes === true).finally(() => opened.close());
      // issue 19: on a remote host the forwarder here, the supervisor and the ledger there.
      else if (opened.remote && opened.target) {
        const { finishRemoteDown } = await import('../remote/remote-lifecycle.js');
        await finishRemoteDown({ remote: opened.remote, target: opened.target, root: opened.root }, stack.name, options.volumes === true).finally(() => opened.close());
      } else {
        // issue 19: the other hosts of embedded ships: their forwarders here, supervisors and ledgers there.
        for (const ship of opened.ships ?? []) await (await import('../remote/remote-lifecycle.js')).finishRemoteDown(ship, stack.name, options.volumes === true);
        await opened.close();
        if (cleansHere) await traced('cleanup-project', undefined, () => cleanupProject(opened.root, stack.name, options.volumes === true));
      }
    }
    return removed;
  });
}

/** Removes everything the project's ledger names; named volumes stay unless `volumes`. */
export async function cleanupProject(root: string, project: string, volumes: boolean): Promise<void> {
  // Loaded here, after the stops: the whole embedded runtime (cgroups, seccomp tables, snapshots,
  // ~150 modules) is not needed to reach the supervisor, and loading it delayed down's first stop (issue 16).
  const { EmbeddedRuntime } = await loadEmbeddedRuntime();
  const local = new EmbeddedRuntime({ root });
  try {
    await local.cleanupProject(project, { keepVolumes: !volumes });
  } finally {
    await local.close();
  }
}

/** The embedded runtime's module (cleanupProject's; loaded early by a `down`, see above). */
function loadEmbeddedRuntime(): Promise<typeof import('../runtime/embedded/embedded-runtime.js')> {
  return import('../runtime/embedded/embedded-runtime.js');
}

/** On Docker: whatever still carries the project's label (a killed run's leftovers) goes too. */
async function sweepEngine(opened: ProjectRuntime, project: string, volumes: boolean): Promise<void> {
  const runtime = opened.runtime as Partial<Pick<DockerRuntime, 'cleanupProject'>>;
  await runtime.cleanupProject?.(project, { keepVolumes: !volumes });
}

/** After a rollback: when nothing of the project is left, its supervisor and state go too. */
export async function stopWhenEmpty(opened: ProjectRuntime, project: string): Promise<void> {
  try {
    const left = await opened.runtime.listContainers({ [Label.project]: project });
    if (left.length > 0) return;
    removeReadiness(opened.root, project);
    await opened.supervisor?.shutdown();
    if (opened.remote) await opened.remote.shutdownSupervisor().then(() => opened.remote!.cleanupProject(false)); // issue 19
    else if (opened.runtime.name === 'embedded') {
      for (const ship of opened.ships ?? []) await (await import('../remote/remote-lifecycle.js')).finishRemoteDown(ship, project, false);
      if (!opened.nothingHere) await cleanupProject(opened.root, project, false);
    }
  } catch {
    // The error that made `up` fail is the one to report; `down` finishes this.
  }
}
