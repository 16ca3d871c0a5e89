/**
 * What `up -d` and `down` do beyond the Runtime's calls for a remote project (issue 19): start the
 * port forwarder once the stack is up; stop it, the supervisor there and everything the project's
 * ledger there names on `down`.
 */
import { Label } from '../runtime/runtime.js';
import { startForwarder, stopForwarder } from './port-forwarder.js';
import type { RemoteRuntime } from './remote-runtime.js';
import type { SshTarget } from './ssh-target.js';

/** A project opened on a remote host (open-remote.ts). */
export interface RemoteProject {
  remote: RemoteRuntime;
  target: SshTarget;
  root: string;
}

/** Forwards the project's published ports here; says where each is. */
export async function forwardRemotePorts(opened: RemoteProject, project: string, say: (line: string) => void): Promise<void> {
  const containers = await opened.remote.remoteContainers({ [Label.project]: project });
  const forwards = await startForwarder(opened.target, opened.root, project, containers);
  opened.remote.setForwards(forwards);
  if (forwards.length > 0) say(`forwarding ${forwards.map((f) => `${f.local.hostIp}:${f.local.hostPort} -> ${opened.target.host}:${f.remote.hostPort}`).join(', ')}`);
}

/** The end of `down` for a remote project: the forwarder here, the supervisor and the ledger's leftovers there. */
export async function finishRemoteDown(opened: RemoteProject, project: string, volumes: boolean): Promise<void> {
  await stopForwarder(opened.root, project);
  await opened.remote.shutdownSupervisor();
  await opened.remote.cleanupProject(volumes);
}
