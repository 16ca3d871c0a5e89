/**
 * Which runtime holds a project named by -p alone (no stack file says `runtime:`), so
 * `stack -p NAME ps|logs|stop|down` finds a Docker project as surely as an embedded one: the
 * embedded runtime when the project has a state folder under the state root, else Docker when the
 * engine has containers labelled with the project, else the default choice.
 */
import fs from 'node:fs';
import type { RuntimeName } from '../config/model.js';
import { chooseRuntime } from './project-runtime.js';
import { projectDir } from '../runtime/embedded/state/project-paths.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js'; // not the store's index: it brings the image store and layers
import { Label } from '../runtime/runtime.js';

/** The runtime of `project`, or undefined when nothing of it is found (the default choice then stands). */
export async function projectOnlyRuntime(project: string, root = defaultRoot()): Promise<RuntimeName | undefined> {
  const choice = chooseRuntime(undefined);
  if (choice.runtime === 'docker') return undefined; // embedded cannot run here; Docker is the choice anyway
  if (fs.existsSync(projectDir(root, project))) return 'embedded';
  // Loaded only here: dockerode takes the better part of a second to import.
  const { DockerRuntime } = await import('../runtime/docker/docker-runtime.js');
  const docker = new DockerRuntime();
  try {
    const found = await docker.listContainers({ [Label.project]: project });
    return found.length > 0 ? 'docker' : undefined;
  } catch {
    return undefined; // no engine here: the project can only be embedded
  } finally {
    await docker.close().catch(() => {});
  }
}
