/**
 * The words a completion script asks `stack __complete` for: the services of the stack file in
 * effect and the projects on this machine. Both fail silently: a shell completing a word must never
 * see an error, a warning or a wait.
 */
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
    const { loadStackOf } = await import('../load.js');
    const stack = await loadStackOf(globals, cwd, () => {});
    return Object.keys(stack.services).sort();
  })();
  return withinTime(load, []);
}

/** Projects with state under the embedded runtime's root, and projects with containers on the Docker engine. */
export async function completeProjects(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const { knownProjects } = await import('../../orchestrator/known-projects.js');
  return knownProjects(env, LOOKUP_MS);
}
