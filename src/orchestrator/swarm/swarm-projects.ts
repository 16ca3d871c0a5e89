/**
 * Which projects this machine deployed to a swarm, so `ps`, `logs`, `down`, `exec`, … find one
 * without `--runtime swarm`: `up` on swarm writes `<state root>/swarm-projects/<name>` (the manager's
 * address: the manager a later command goes to when DOCKER_HOST is unset), `down` removes it. One file test, no engine asked: a command on an
 * embedded or Docker project pays nothing for it. A project deployed from elsewhere is found by
 * name alone through the engine instead (project-only-runtime.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { dockerStateRoot } from '../../runtime/docker/state-root.js';
import type { EngineAddress } from '../../runtime/docker/engine.js';
import { swarmManagerAddress } from '../../runtime/swarm/manager-address.js';
import type { Stack } from '../../config/model.js';

function markerOf(project: string, root: string): string {
  return path.join(root, 'swarm-projects', project);
}

/** Notes that `project` is on the swarm whose manager is at `address`. */
export function rememberSwarmProject(project: string, address: string, root = dockerStateRoot()): void {
  fs.mkdirSync(path.join(root, 'swarm-projects'), { recursive: true });
  fs.writeFileSync(markerOf(project, root), `${address}\n`);
}

/** Forgets it (after `down`). */
export function forgetSwarmProject(project: string, root = dockerStateRoot()): void {
  fs.rmSync(markerOf(project, root), { force: true });
}

/**
 * Where the project's manager is, for a command run without DOCKER_HOST: the address `up` used.
 * DOCKER_HOST, when set, wins (engine.ts); undefined when nothing is remembered.
 */
export function swarmManagerOf(project: string, env: NodeJS.ProcessEnv = process.env, root = dockerStateRoot()): { docker?: string } {
  if (env.DOCKER_HOST) return {};
  try {
    const address = fs.readFileSync(markerOf(project, root), 'utf8').trim();
    return address ? { docker: address } : {};
  } catch {
    return {};
  }
}

/** Whether this machine deployed `project` to a swarm (and has not taken it down). */
export function isSwarmProject(project: string, root = dockerStateRoot()): boolean {
  return fs.existsSync(markerOf(project, root));
}

/** The manager a command on `stack` goes to: a ship marked `manager: true`, else DOCKER_HOST, else the one `up` used. */
export function managerFor(stack: Pick<Stack, 'ships' | 'dir' | 'name'>): EngineAddress {
  const ship = swarmManagerAddress(stack);
  return ship.docker ? ship : swarmManagerOf(stack.name);
}
