/**
 * Waiting for one Swarm service to converge: its tasks running (healthy, when it has a healthcheck)
 * as many as desired, or, for a one-shot, complete with exit code 0. Fails naming the service, its
 * tasks' states and errors per node, and the failed task's last log lines.
 */
import type Docker from 'dockerode';
import type { Clock } from '../../executor/clock.js';
import { ReadinessError } from '../../errors.js';
import { judgeTasks, nodeNames, serviceTasks, taskLines, taskLogTail, type TaskGoal, type TaskView, type Verdict } from '../../runtime/swarm/swarm-tasks.js';

/** How to wait. */
export interface ConvergeOptions {
  docker: Docker;
  clock: Clock;
  /** Longest wait (ms). */
  timeout: number;
  /** Between two looks at the tasks once the first seconds passed (ms). */
  pollMs: number;
  /**
   * Between two looks during the first `fastForMs` (ms; default pollMs): a health-gated task turns
   * running within a second or two of its creation, and every look later than that delays each
   * dependent by the remainder of the interval (two cheap calls to the manager per look).
   */
  fastPollMs?: number;
  /** How long the fast looks go on (ms; default 10 s): a wait longer than that is not in a hurry. */
  fastForMs?: number;
  /** How long `no suitable node` may last before it is a failure (ms): the scheduler does not try again until a node changes. */
  stuckMs: number;
  signal?: AbortSignal;
  /** Told each new count of done tasks. */
  onProgress?: (done: number, desired: number) => void;
}

/** The service to wait for. */
export interface ConvergeTarget {
  /** hafen's service name. */
  service: string;
  /** The Swarm service's name (`<project>_<service>`) and id. */
  swarmName: string;
  id: string;
  goal: TaskGoal;
  /** Tasks made before this (engine time, RFC 3339) belong to an earlier deploy and are not judged. */
  since: string;
}

/** Resolves once converged; rejects with a ReadinessError saying why not. */
export async function waitConverged(target: ConvergeTarget, opts: ConvergeOptions): Promise<void> {
  const { docker, clock } = opts;
  const start = clock.now();
  let stuckSince: number | undefined;
  let lastDone = -1;
  let nodes = await nodeNames(docker);
  for (;;) {
    opts.signal?.throwIfAborted();
    let [tasks, desired] = await Promise.all([serviceTasks(docker, target.swarmName, target.service, nodes), desiredTasks(docker, target.id, target.goal)]);
    // Nodes join and leave: a task on a node not named yet has the names read afresh.
    if (tasks.some((t) => t.nodeId !== undefined && !nodes.has(t.nodeId))) {
      nodes = await nodeNames(docker);
      tasks = await serviceTasks(docker, target.swarmName, target.service, nodes);
    }
    // A new spec is judged by its own tasks; an unchanged service by each slot's newest task (not its history).
    const since = Date.parse(target.since);
    const current = Number.isNaN(since) ? newestPerSlot(tasks) : tasks.filter((t) => Date.parse(t.createdAt) >= since);
    const verdict = judgeTasks(current, desired, target.goal);
    if (verdict.done !== lastDone) opts.onProgress?.(verdict.done, verdict.desired);
    lastDone = verdict.done;
    if (verdict.kind === 'converged') return;
    if (verdict.kind === 'failed') throw await failure(target, verdict, current, docker);
    if (verdict.kind === 'stuck') {
      stuckSince ??= clock.now();
      if (clock.now() - stuckSince >= opts.stuckMs) throw await failure(target, verdict, current, docker);
    } else stuckSince = undefined;
    if (clock.now() - start >= opts.timeout) {
      throw await failure(target, { kind: 'stuck', why: `not converged after ${Math.round(opts.timeout / 1000)}s`, done: verdict.done, desired: verdict.desired }, current, docker);
    }
    const fast = clock.now() - start < (opts.fastForMs ?? 10_000);
    await clock.sleep(fast ? (opts.fastPollMs ?? opts.pollMs) : opts.pollMs, opts.signal);
  }
}

/** The newest task of each slot (tasks come newest first). */
function newestPerSlot(tasks: readonly TaskView[]): TaskView[] {
  const seen = new Set<string>();
  return tasks.filter((t) => !seen.has(t.name) && (seen.add(t.name), true));
}

/** How many tasks the manager wants of the service (replicas, or eligible nodes of a global one). */
async function desiredTasks(docker: Docker, id: string, goal: TaskGoal): Promise<number> {
  type Listed = { Spec?: { Mode?: { Replicated?: { Replicas?: number }; ReplicatedJob?: { TotalCompletions?: number } } }; ServiceStatus?: { DesiredTasks?: number; CompletedTasks?: number } };
  const list = (await docker.listServices({ filters: { id: [id] }, status: true })) as Listed[];
  const s = list[0];
  const mode = s?.Spec?.Mode;
  const replicas = mode?.Replicated?.Replicas ?? mode?.ReplicatedJob?.TotalCompletions;
  // A global job: as many completions as it has nodes to run on (those done plus those to go).
  if (goal === 'completed' && replicas === undefined) return Math.max(1, (s?.ServiceStatus?.DesiredTasks ?? 0) + (s?.ServiceStatus?.CompletedTasks ?? 0));
  // A one-shot's finished tasks leave the desired count; its replicas say how many must complete.
  if (goal === 'completed' && replicas !== undefined) return replicas;
  return s?.ServiceStatus?.DesiredTasks ?? replicas ?? 1;
}

async function failure(target: ConvergeTarget, verdict: Exclude<Verdict, { kind: 'converged' | 'waiting' }>, tasks: readonly TaskView[], docker: Docker): Promise<ReadinessError> {
  const counted = target.goal === 'running' ? 'running' : 'completed';
  const others = verdict.kind === 'failed' ? tasks.filter((t) => t.id !== verdict.task.id) : tasks;
  const lines = taskLines(others.slice(0, 8));
  const reason = `${verdict.why}; ${verdict.done}/${verdict.desired} tasks ${counted}${lines.length ? `; ${verdict.kind === 'failed' ? 'other tasks' : 'tasks'}: ${lines.join('; ')}` : ''}`;
  const logTail = verdict.kind === 'failed' && verdict.task.containerId ? await taskLogTail(docker, verdict.task.id).catch(() => []) : [];
  return new ReadinessError(target.service, target.goal === 'running' ? 'swarm tasks running' : 'swarm task completed', reason, logTail);
}
