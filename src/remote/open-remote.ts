/**
 * Opening a project on a remote host (issue 19), the remote counterpart of openProjectRuntime: one
 * ssh connection, the agent there opens the project's runtime (and supervisor), and this machine
 * keeps only its own bookkeeping for that host (the project lock of this CLI, `ready:` records, the
 * port forwarder) under `<state root>/remote/<host>`.
 */
import path from 'node:path';
import { StackError } from '../errors.js';
import type { OpenOptions, ProjectRuntime } from '../orchestrator/project-runtime.js';
import { AgentConnection } from './agent-connection.js';
import type { AgentOpened } from './agent-protocol.js';
import { localStateRoot } from './local-state.js';
import { readForwarder } from './port-forwarder.js';
import { RemoteRuntime } from './remote-runtime.js';
import type { SshTarget } from './ssh-target.js';

/** This machine's state for one remote host: a folder named for its address (under local-state.ts's root, on any system). */
export function localRootFor(target: SshTarget, root: string = localStateRoot()): string {
  const name = `${target.user ? `${target.user}@` : ''}${target.host}${target.port !== undefined ? `_${target.port}` : ''}`.replace(/[^A-Za-z0-9@._-]/g, '_');
  return path.join(root, 'remote', name);
}

/** Connects to `target` and opens `project` there. */
export async function openRemoteProject(target: SshTarget, project: string, options: OpenOptions): Promise<ProjectRuntime & { remote: RemoteRuntime }> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const connection = await AgentConnection.open(target);
  const runtime = new RemoteRuntime(connection, project, say, options.root ?? localStateRoot());
  try {
    const opened = await connection.call<AgentOpened>('open', [project, { supervise: options.supervise, ...(options.strictLimits ? { strictLimits: true } : {}) }]);
    for (const line of opened.said) say(`${target.url}: ${line}`);
  } catch (err) {
    await connection.close();
    // What the remote side refused says where it was refused.
    if (err instanceof StackError && !err.message.startsWith(`remote host ${target.url}`)) throw new StackError(err.code, `remote host ${target.url}: ${err.message}`, err.exitCode, { cause: err });
    throw err;
  }
  const root = localRootFor(target, options.root);
  const forwarder = readForwarder(root, project);
  if (forwarder) runtime.setForwards(forwarder.forwards);
  return { runtime, root, remote: runtime, target, close: () => runtime.close() };
}
