/**
 * The projects this machine knows: those with state under the embedded runtime's root, and those
 * with containers on the Docker engine (by hafen's project label). For shell completion of
 * `-p NAME`: quick, and quiet when an engine is not there.
 */
import fs from 'node:fs';
import { listProjects } from '../runtime/embedded/containers/container-record.js';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';
import { connectEngine } from '../runtime/docker/engine.js';
import { Label } from '../runtime/runtime.js';

/** Project names from the embedded state root and, within `engineMs`, the Docker engine; sorted, each once. */
export async function knownProjects(env: NodeJS.ProcessEnv = process.env, engineMs = 2000): Promise<string[]> {
  const embedded = listProjects(defaultRoot(env));
  const docker = await new Promise<string[]>((resolve) => {
    const timer = setTimeout(() => resolve([]), engineMs);
    timer.unref();
    dockerProjects(env).then(resolve, () => resolve([])).finally(() => clearTimeout(timer));
  });
  return [...new Set([...embedded, ...docker])].sort();
}

async function dockerProjects(env: NodeJS.ProcessEnv): Promise<string[]> {
  // No engine configured and no local socket: nothing to ask (and no connection error to wait for).
  if (!env.DOCKER_HOST && !fs.existsSync('/var/run/docker.sock')) return [];
  const found = await connectEngine().listContainers({ all: true, filters: { label: [Label.project] } });
  return found.map((c) => c.Labels[Label.project]).filter((p): p is string => Boolean(p));
}
