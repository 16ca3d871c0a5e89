/**
 * What `up -d` and `down` do beyond the Runtime's calls for a remote project (issue 19): start the
 * port forwarder once the stack is up; stop it, the supervisor there and everything the project's
 * ledger there names on `down`. A stack whose ships are embedded runtimes on other hosts
 * (embedded-ships.ts) has one such remote project per host.
 */
import type { ProjectRuntime } from '../orchestrator/project-runtime.js';
import { Label } from '../runtime/runtime.js';
import { startForwarder, stopForwarder, stopProjectForwarders } from './port-forwarder.js';
import type { RemoteRuntime } from './remote-runtime.js';
import type { SshTarget } from './ssh-target.js';

/** A project opened on a remote host (open-remote.ts). */
export interface RemoteProject {
  remote: RemoteRuntime;
  target: SshTarget;
  root: string;
}

/** The remote hosts an opened project lives on: the one of HAFEN_HOST, or those of its embedded ships; none for a local one. */
export function remoteProjectsOf(opened: ProjectRuntime): RemoteProject[] {
  if (opened.remote && opened.target) return [{ remote: opened.remote, target: opened.target, root: opened.root }];
  return [...(opened.ships ?? [])];
}

/** Forwards the project's published ports here; says where each is. */
export async function forwardRemotePorts(opened: RemoteProject, project: string, say: (line: string) => void): Promise<void> {
  const containers = await opened.remote.remoteContainers({ [Label.project]: project });
  const forwards = await startForwarder(opened.target, opened.root, project, containers);
  opened.remote.setForwards(forwards);
  if (forwards.length > 0) say(`forwarding ${forwards.map((f) => `${f.local.hostIp}:${f.local.hostPort} -> ${opened.target.host}:${f.remote.hostPort}`).join(', ')}`);
}

/** forwardRemotePorts for every remote host of the project. */
export async function forwardAllRemotePorts(opened: ProjectRuntime, project: string, say: (line: string) => void): Promise<void> {
  for (const r of remoteProjectsOf(opened)) await forwardRemotePorts(r, project, say);
}

/** Stops the forwarders `up` started for every remote host of the project (an attached `up` ending). */
export async function stopAllForwarders(opened: ProjectRuntime, project: string): Promise<void> {
  for (const r of remoteProjectsOf(opened)) await stopForwarder(r.root, project);
}

/** The end of `down` for a remote project: the forwarders here, the supervisor and the ledger's leftovers there. */
export async function finishRemoteDown(opened: RemoteProject, project: string, volumes: boolean): Promise<void> {
  await stopProjectForwarders(opened.root, project);
  await opened.remote.shutdownSupervisor();
  await opened.remote.cleanupProject(volumes);
}
