/**
 * The words a completion script asks `stack __complete` for: the services of the stack file in
 * effect and the projects on this machine. Both fail silently: a shell completing a word must never
 * see an error, a warning or a wait.
 */
import fs from 'node:fs';
import type { GlobalOptions } from '../global-options.js';

/** Longest a lookup may take before the shell gets what was found so far (nothing). */
const LOOKUP_MS = 2000;

function withinTime<T>(work: Promise<T>, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), LOOKUP_MS);
    timer.unref();
    work.then(resolve, () => resolve(fallback)).finally(() => clearTimeout(timer));
  });
}

/** The service names of the stack the common options point at (quietly: no warnings); none when it does not load. */
export async function completeServices(globals: GlobalOptions, cwd = process.cwd()): Promise<string[]> {
  // `-f -` would wait for standard input, which a completion never gives.
  if (globals.file.includes('-')) return [];
  const load = (async () => {
    const { loadStack } = await import('../../config/index.js');
    const stack = await loadStack({
      file: globals.file,
      cwd,
      envFiles: globals.envFile,
      ...(globals.projectDirectory !== undefined ? { projectDirectory: globals.projectDirectory } : {}),
      project: globals.projectName,
      env: process.env,
      profiles: globals.profile,
      onWarning: () => {},
    });
    return Object.keys(stack.services).sort();
  })();
  return withinTime(load, []);
}

/** Projects with state under the embedded runtime's root, and projects with containers on the Docker engine. */
export async function completeProjects(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const [{ defaultRoot }, { listProjects }] = await Promise.all([
    import('../../runtime/embedded/store/store-paths.js'),
    import('../../runtime/embedded/containers/container-record.js'),
  ]);
  const embedded = listProjects(defaultRoot(env));
  const docker = withinTime(dockerProjects(env), []);
  return [...new Set([...embedded, ...(await docker)])].sort();
}

async function dockerProjects(env: NodeJS.ProcessEnv): Promise<string[]> {
  // No engine configured and no local socket: nothing to ask (and no connection error to wait for).
  if (!env.DOCKER_HOST && !fs.existsSync('/var/run/docker.sock')) return [];
  const [{ connectEngine }, { Label }] = await Promise.all([import('../../runtime/docker/engine.js'), import('../../runtime/runtime.js')]);
  const found = await connectEngine().listContainers({ all: true, filters: { label: [Label.project] } });
  return found.map((c) => c.Labels[Label.project]).filter((p): p is string => Boolean(p));
}
