/**
 * Which runtime holds a project named by -p alone (no stack file says `runtime:`), so
 * `stack -p NAME ps|logs|stop|down` finds a Docker project as surely as an embedded one: the
 * embedded runtime when the project has a state folder under the state root, else Docker when the
 * engine has containers labelled with the project, else the swarm runtime (issue 18) when they are a
 * swarm's task containers or when the engine (DOCKER_HOST) is a swarm manager with services labelled
 * with the project, else the default choice.
 */
import fs from 'node:fs';
import type { RuntimeName } from '../config/model.js';
import { chooseRuntime } from './project-runtime.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js'; // not the store's index: it brings the image store and layers
import { Label } from '../runtime/runtime.js';
import type { DockerRuntime } from '../runtime/docker/docker-runtime.js';

/** The runtime of `project`, or undefined when nothing of it is found (the default choice then stands). */
export async function projectOnlyRuntime(project: string, root = defaultRoot()): Promise<RuntimeName | undefined> {
  const choice = chooseRuntime(undefined);
  if (choice.runtime !== 'docker' && fs.existsSync(projectDir(root, project))) return 'embedded';
  // Loaded only here: dockerode takes the better part of a second to import.
  const { DockerRuntime } = await import('../runtime/docker/docker-runtime.js');
  const docker = new DockerRuntime();
  try {
    const found = await docker.listContainers({ [Label.project]: project });
    // A swarm task's container (on a manager's node) carries the project too: its service is the project's, not it.
    if (found.some((c) => c.labels[SWARM_SERVICE_LABEL] !== undefined)) return 'swarm';
    if (found.length > 0) return choice.runtime === 'docker' ? undefined : 'docker'; // Docker is the choice anyway
    return (await swarmHasProject(docker.docker, project)) ? 'swarm' : undefined;
  } catch {
    return undefined; // no engine here: the project can only be embedded
  } finally {
    await docker.close().catch(() => {});
  }
}

/** The label Swarm puts on a task's container. */
const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.id';

/** Issue 18: the engine is a swarm manager with services labelled with the project (two calls; none when not a manager). */
async function swarmHasProject(engine: DockerRuntime['docker'], project: string): Promise<boolean> {
  const info = (await engine.info()) as { Swarm?: { ControlAvailable?: boolean } };
  if (!info.Swarm?.ControlAvailable) return false;
  return (await engine.listServices({ filters: { label: [`${Label.project}=${project}`] } })).length > 0;
}
