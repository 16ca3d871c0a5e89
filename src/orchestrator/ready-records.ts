/**
 * The last result of each container's `ready:` check, kept where `ps` and `dash` in another
 * process can read it: hafen runs these checks itself (from the process that runs `up`), so no
 * runtime knows them, and a Docker container's labels cannot change after it is made. One small
 * JSON file per container under `<state root>/ready/<project>/`, written atomically (temp file and
 * rename) from the executor's events, removed by `down`. A record only counts for the container
 * run it was made for: one started since, or one whose checking process died, has no ready state.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stack } from '../config/model.js';
import type { EventSink } from '../executor/events.js';
import type { ContainerInfo } from '../runtime/runtime.js';

/** Where a container's `ready:` check stands: passed, being checked, or failed. */
export type ReadyState = 'ready' | 'checking' | 'unready';

/** One container's record. */
export interface ReadyRecord {
  container: string;
  service: string;
  state: ReadyState;
  /** When this round of checks began (epoch ms): a container started later is not the one checked. */
  since: number;
  /** The process that runs the check; a `checking` record of a process that is gone means nothing. */
  pid: number;
  /** The checks (`tcp 5432`), or why they failed. */
  detail?: string;
}

/** Names that are one path segment (project and container names are checked before, this is the last guard). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The folder of `project`'s records. */
export function readyDir(root: string, project: string): string {
  if (!SEGMENT.test(project)) throw new Error(`not a project name: ${JSON.stringify(project)}`);
  return path.join(root, 'ready', project);
}

/**
 * A sink that records the `ready:` checks of `stack`'s containers as the executor reports them
 * (`checking`, then `ready` or `failed`). Writing never fails the run: a record is a convenience.
 */
export function recordReadiness(root: string, stack: Stack): EventSink {
  const since = new Map<string, number>();
  return (e) => {
    if (e.kind !== 'service-state' || !e.container || !stack.services[e.service]?.ready) return;
    const state: ReadyState | undefined = e.state === 'checking' ? 'checking' : e.state === 'ready' ? 'ready' : e.state === 'failed' ? 'unready' : undefined;
    if (!state || !SEGMENT.test(e.container)) return;
    if (state === 'checking') since.set(e.container, Date.now());
    const record: ReadyRecord = {
      container: e.container,
      service: e.service,
      state,
      since: since.get(e.container) ?? Date.now(),
      pid: process.pid,
      ...(e.detail ? { detail: e.detail } : {}),
    };
    try {
      const dir = readyDir(root, stack.name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${e.container}.json`);
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      fs.renameSync(temp, file);
    } catch {
      // A full disk or a read-only root must not fail `up`; ps then shows no ready state.
    }
  };
}

/** The records of `project`, by container name (none when it has no folder). */
export function readReadiness(root: string, project: string): Map<string, ReadyRecord> {
  const out = new Map<string, ReadyRecord>();
  let dir: string;
  let names: string[];
  try {
    dir = readyDir(root, project);
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as ReadyRecord;
      if (typeof record.container === 'string' && typeof record.since === 'number') out.set(record.container, record);
    } catch {
      // Removed meanwhile, or not ours: no state for that container.
    }
  }
  return out;
}

/** The ready state of `c` from its record: only while it runs, and only for the run that was checked. */
export function readyStateOf(record: ReadyRecord | undefined, c: Pick<ContainerInfo, 'state' | 'startedAt'>): ReadyState | undefined {
  if (!record || c.state !== 'running') return undefined;
  if (c.startedAt && Date.parse(c.startedAt) > record.since) return undefined;
  if (record.state === 'checking' && !processAlive(record.pid)) return undefined;
  return record.state;
}

/** Removes `project`'s records (on `down`). */
export function removeReadiness(root: string, project: string): void {
  try {
    fs.rmSync(readyDir(root, project), { recursive: true, force: true });
  } catch {
    // Not a name that could have records.
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** HEALTH as ps and dash show it: the runtime's healthcheck state and the `ready:` check's, either or both (`healthy, ready`). */
export function healthWithReady(health: string, ready: ReadyState | undefined): string {
  return [health === 'none' ? undefined : health, ready].filter((s) => s !== undefined).join(', ');
}
