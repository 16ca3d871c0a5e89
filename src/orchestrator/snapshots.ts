/**
 * `stack snapshot` and `stack reset` (issue 20) as the CLI and the library run them: which
 * containers, in what order, with what readiness. The runtime captures and resets layers; this
 * module stops, resets and starts services as `restart` does, so `up`'s readiness checks apply.
 */
import type { Millis, Stack } from '../config/model.js';
import { noSuchSnapshot, SnapshotError } from '../errors.js';
import type { EventSink } from '../executor/events.js';
import { Label, type ContainerInfo, type Runtime } from '../runtime/runtime.js';
import type { SnapshotInfo } from '../runtime/snapshot-types.js';
import { stopStack } from './stop.js';
import { upStack, type UpStackOptions } from './up.js';
import { notCapturedNotes } from './snapshot-coverage.js';

/** What a snapshot or a reset is given. */
export interface SnapshotRun {
  runtime: Runtime;
  sink: EventSink;
  /** Services (all of the project when empty). */
  services?: readonly string[];
  /** Grace period of the stops (`-t`). */
  timeout?: Millis;
  /** Told one line per step worth saying. */
  say?: (line: string) => void;
  /** The state root (for `up`'s records). */
  root?: string;
}

/** The project's containers of `services` (all when empty), one-offs left out. */
async function containersOf(runtime: Runtime, project: string, services: readonly string[]): Promise<ContainerInfo[]> {
  return (await runtime.listContainers({ [Label.project]: project }))
    .filter((c) => !c.labels[Label.oneOff])
    .filter((c) => services.length === 0 || services.includes(c.labels[Label.service] ?? ''))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function upOptions(run: SnapshotRun, services: readonly string[]): UpStackOptions {
  return { runtime: run.runtime, sink: run.sink, services, noDeps: true, ...(run.say ? { say: run.say } : {}), ...(run.root ? { root: run.root } : {}) };
}

function stopOptions(run: SnapshotRun, services: readonly string[]) {
  return { sink: run.sink, services, ...(run.timeout !== undefined ? { timeout: run.timeout } : {}) };
}

/**
 * Takes snapshot `name` of the services' containers: frozen while copied, or (`stop`) stopped
 * gracefully first and started again after, for services that must flush their data.
 */
export async function snapshotStack(stack: Stack, name: string, run: SnapshotRun & { stop?: boolean }): Promise<SnapshotInfo> {
  const services = run.services ?? [];
  await run.runtime.listSnapshots(stack.name); // a runtime without snapshots refuses here, before anything stops
  const containers = await containersOf(run.runtime, stack.name, services);
  if (containers.length === 0) throw new SnapshotError(`snapshot ${name}: ${services.length ? `services ${services.join(', ')} have` : `project ${stack.name} has`} no containers; bring the stack up first`);
  const names = containers.map((c) => c.name);
  const held = [...new Set(containers.map((c) => c.labels[Label.service] ?? ''))].sort();
  for (const line of notCapturedNotes(stack, held, run.runtime.name, name)) run.say?.(line);
  if (!run.stop) return run.runtime.snapshot(stack.name, name, names);
  await stopStack(stack, run.runtime, stopOptions(run, held));
  const info = await run.runtime.snapshot(stack.name, name, names, { stopped: true });
  await upStack(stack, upOptions(run, held));
  return info;
}

/** Services that `depends_on` one of `reset` with `restart: true`, and are not reset themselves. */
export function restartedDependents(stack: Stack, reset: readonly string[]): string[] {
  return Object.entries(stack.services)
    .filter(([name, s]) => !reset.includes(name) && Object.entries(s.depends_on ?? {}).some(([dep, d]) => reset.includes(dep) && d.restart))
    .map(([name]) => name)
    .sort();
}

/**
 * Puts the services back to snapshot `name`: each stopped (killed at once unless `timeout` gives it
 * a grace period: what it would flush is discarded), given a fresh writable layer (and fresh
 * volume layers) over the snapshot's, started, and waited on until ready as `up` does; then the
 * services that depend on them with `restart: true` are restarted. Everything is checked before
 * anything stops. Resolves to the services reset.
 */
export async function resetStack(stack: Stack, name: string, run: SnapshotRun): Promise<{ services: string[]; restarted: string[] }> {
  const snapshot = (await run.runtime.listSnapshots(stack.name)).find((s) => s.name === name);
  if (!snapshot) {
    const known = (await run.runtime.listSnapshots(stack.name)).map((s) => s.name);
    throw noSuchSnapshot(stack.name, name, known);
  }
  const asked = run.services ?? [];
  const missing = asked.filter((s) => !snapshot.services.includes(s));
  if (missing.length > 0) throw new SnapshotError(`snapshot ${name} does not hold service ${missing.join(', ')} (it holds ${snapshot.services.join(', ')})`);
  const services = asked.length > 0 ? [...asked] : snapshot.services.filter((s) => Object.keys(stack.services).length === 0 || s in stack.services);
  const containers = await containersOf(run.runtime, stack.name, services);
  const unknown = containers.filter((c) => !snapshot.containers.includes(c.name));
  if (unknown.length > 0) throw new SnapshotError(`snapshot ${name} does not hold container ${unknown.map((c) => c.name).join(', ')} (scaled since?); take the snapshot again`);
  if (containers.length === 0) throw new SnapshotError(`reset ${name}: services ${services.join(', ')} have no containers; bring the stack up first (or \`up --from-snapshot ${name}\`)`);
  // The state is discarded: no grace period unless `-t` asks for one (a graceful stop of a database costs seconds, for nothing kept).
  await stopStack(stack, run.runtime, stopOptions({ ...run, timeout: run.timeout ?? 0 }, services));
  await run.runtime.resetToSnapshot(stack.name, name, containers.map((c) => c.name), { ports: Object.fromEntries(containers.map((c) => [c.name, c.ports])) });
  await upStack(stack, upOptions(run, services));
  const restarted = restartedDependents(stack, services).filter((s) => s in stack.services);
  if (restarted.length > 0) {
    await stopStack(stack, run.runtime, stopOptions(run, restarted));
    await upStack(stack, upOptions(run, restarted));
  }
  return { services, restarted };
}

/**
 * `up --from-snapshot NAME`: upStack, after the stack's containers are made (not started) and those
 * the snapshot holds are put onto it. Refused before anything is made when there is no such snapshot.
 */
export function upFromSnapshot(name: string): typeof upStack {
  return async (stack, options) => {
    const snapshot = (await options.runtime.listSnapshots(stack.name)).find((s) => s.name === name);
    if (!snapshot) throw new SnapshotError(`--from-snapshot ${name}: no such snapshot in project ${stack.name}; \`stack snapshot ls\` lists them`);
    await upStack(stack, { ...options, noStart: true });
    const held = (await containersOf(options.runtime, stack.name, options.services ?? [])).filter((c) => snapshot.containers.includes(c.name));
    const services = [...new Set(held.map((c) => c.labels[Label.service] ?? ''))];
    if (held.some((c) => c.state === 'running' || c.state === 'paused')) await stopStack(stack, options.runtime, { sink: options.sink, services, ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) });
    if (held.length > 0) await options.runtime.resetToSnapshot(stack.name, name, held.map((c) => c.name));
    return upStack(stack, options);
  };
}
