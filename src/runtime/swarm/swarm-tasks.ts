/**
 * A Swarm service's tasks as hafen reads them: where each runs (the node's hostname), its state, the
 * error the scheduler or the node gave, its exit code; and the verdict of a deploy's wait over them
 * (converged, still on its way, stuck, failed), as a pure function of one snapshot.
 */
import type Docker from 'dockerode';
import { logParser } from '../docker/log-lines.js';

/** One task, as read from the manager. */
export interface TaskView {
  id: string;
  /** `api.1` (replicated) or `api.<node>` (global): how `docker service ps` names it. */
  name: string;
  /** The node's hostname, or `(no node)` while it is not scheduled. */
  node: string;
  /** The node's id (absent while it is not scheduled). */
  nodeId?: string;
  /** Swarm's task state: new, pending, assigned, preparing, starting, running, complete, failed, rejected, shutdown, … */
  state: string;
  /** What the orchestrator wants it to be: running, shutdown, remove. */
  desired: string;
  /** The scheduler's or node's error, e.g. `no suitable node (…)`, `No such image: …`. */
  error?: string;
  /** The state's message (`started`, `finished`, …). */
  message: string;
  exitCode?: number;
  containerId?: string;
  /** Engine time (RFC 3339) the task was made. */
  createdAt: string;
  /** Engine time of its last change. */
  updatedAt: string;
}

/** The engine's task object, as far as hafen reads it. */
interface RawTask {
  ID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  CreatedAt?: string;
  UpdatedAt?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

/** Node id → hostname, for naming where tasks run. */
export async function nodeNames(docker: Docker): Promise<Map<string, string>> {
  const nodes = (await docker.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  return new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID.slice(0, 12)]));
}

/** The tasks of the Swarm service `serviceName` (`<project>_<service>`), shown under `shortName`; newest first. */
export async function serviceTasks(docker: Docker, serviceName: string, shortName: string, nodes: Map<string, string>): Promise<TaskView[]> {
  const raw = (await docker.listTasks({ filters: { service: [serviceName] } })) as RawTask[];
  return raw.map((t) => taskView(t, shortName, nodes)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function taskView(t: RawTask, shortName: string, nodes: Map<string, string>): TaskView {
  const node = t.NodeID ? (nodes.get(t.NodeID) ?? t.NodeID.slice(0, 12)) : '(no node)';
  const status = t.Status ?? {};
  const exitCode = status.ContainerStatus?.ExitCode;
  const containerId = status.ContainerStatus?.ContainerID;
  return {
    id: t.ID,
    name: t.Slot !== undefined && t.Slot > 0 ? `${shortName}.${t.Slot}` : `${shortName}.${t.NodeID?.slice(0, 12) ?? t.ID.slice(0, 12)}`,
    node,
    ...(t.NodeID ? { nodeId: t.NodeID } : {}),
    state: status.State ?? 'new',
    desired: t.DesiredState ?? 'running',
    message: status.Message ?? '',
    ...(status.Err ? { error: status.Err } : {}),
    ...(exitCode !== undefined && ['complete', 'failed', 'shutdown'].includes(status.State ?? '') ? { exitCode } : {}),
    ...(containerId ? { containerId } : {}),
    createdAt: t.CreatedAt ?? '',
    updatedAt: t.UpdatedAt ?? '',
  };
}

/** What a service must reach: tasks running (healthy, when it has a healthcheck: Swarm reports a task running only once healthy), or a one-shot's tasks complete. */
export type TaskGoal = 'running' | 'completed';

/** Where a service's tasks stand against its goal. */
export type Verdict =
  | { kind: 'converged'; done: number; desired: number }
  | { kind: 'waiting'; done: number; desired: number }
  /** Cannot go on without a change elsewhere (`no suitable node`): a failure once it lasts. */
  | { kind: 'stuck'; why: string; done: number; desired: number }
  | { kind: 'failed'; why: string; task: TaskView; done: number; desired: number };

const FAILED = new Set(['failed', 'rejected', 'orphaned']);

/** Judges one snapshot of a service's tasks (those of this deploy) against `desired` tasks reaching `goal`. */
export function judgeTasks(tasks: readonly TaskView[], desired: number, goal: TaskGoal): Verdict {
  const done = tasks.filter((t) => (goal === 'running' ? t.state === 'running' && t.desired === 'running' : t.state === 'complete' && t.exitCode === 0)).length;
  const failed = tasks.find((t) => FAILED.has(t.state) || (goal === 'running' && t.state === 'complete'));
  if (failed) return { kind: 'failed', why: taskFailure(failed), task: failed, done, desired };
  if (done >= desired) return { kind: 'converged', done, desired };
  const unplaced = tasks.find((t) => t.desired === 'running' && t.state === 'pending' && t.error?.includes('no suitable node'));
  if (unplaced) return { kind: 'stuck', why: `${unplaced.name}: ${unplaced.error}`, done, desired };
  return { kind: 'waiting', done, desired };
}

/** How a task failed, in words: `api.2 on nodeb: rejected: No such image: …`, `migrate.1 on nodea: exited with code 3`. */
export function taskFailure(t: TaskView): string {
  if (t.state === 'complete') return `${t.name} on ${t.node}: exited with code 0 (a service that ends needs restart_policy condition none and dependents waiting on service_completed_successfully)`;
  const exit = t.exitCode !== undefined && t.exitCode !== 0 ? `exited with code ${t.exitCode}` : undefined;
  const why = [exit, t.error].filter((x) => x !== undefined).join(': ') || t.message;
  return `${t.name} on ${t.node}: ${t.state}${why ? `: ${why}` : ''}`;
}

/** One line per task for a failure report: where it is, its state and error. */
export function taskLines(tasks: readonly TaskView[]): string[] {
  return tasks.map((t) => {
    const exit = t.exitCode !== undefined ? ` (exit ${t.exitCode})` : '';
    const err = t.error ? `: ${t.error}` : '';
    return `${t.name} on ${t.node}: ${t.state}${exit}${err} (desired ${t.desired})`;
  });
}

/** The last `lines` lines a task wrote (through the manager's log broker); empty when it never ran or its node is gone. */
export async function taskLogTail(docker: Docker, taskId: string, lines = 20): Promise<string[]> {
  // dockerode has Task#logs but does not declare it.
  const task = docker.getTask(taskId) as unknown as { logs(opts: object): Promise<Buffer | NodeJS.ReadableStream> };
  const out: string[] = [];
  const parser = logParser(false, (l) => out.push(l.text));
  const body = await Promise.race([task.logs({ stdout: true, stderr: true, tail: lines, follow: false }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000).unref())]).catch(() => undefined);
  if (body === undefined) return [];
  if (Buffer.isBuffer(body)) parser.push(body);
  else {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      body.on('data', (c: Buffer) => parser.push(c));
      body.on('end', () => (clearTimeout(timer), resolve()));
      body.on('error', () => (clearTimeout(timer), resolve()));
    });
  }
  parser.end();
  return out.slice(-lines);
}
