/**
 * The projects on this machine, for `stack ls`: the embedded runtime's, from the state folders
 * under the state root (each asked through its supervisor when one runs), and the Docker engine's,
 * from the `io.hafen.project` label of its containers. Each side is read on its own, so an engine
 * that cannot be reached leaves the embedded projects listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openProjectRuntime } from './project-runtime.js';
import { Label } from '../runtime/runtime.js';

/** One project as `stack ls` lists it. */
export interface ProjectSummary {
  name: string;
  runtime: 'embedded' | 'docker';
  /** How many of its containers are in each state (`running`, `exited`, …). */
  states: Record<string, number>;
  /** The stack files its containers were made from, as their labels name them. */
  configFiles: string[];
}

/** Project folder names the state root can hold. */
const PROJECT = /^[a-z0-9][a-z0-9_-]*$/;

/** The embedded projects with containers under `root`. */
export async function embeddedProjects(root: string): Promise<ProjectSummary[]> {
  const dir = path.join(root, 'projects');
  if (!fs.existsSync(dir)) return [];
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && PROJECT.test(e.name))
    .map((e) => e.name)
    .sort();
  const out: ProjectSummary[] = [];
  for (const name of names) {
    const opened = await openProjectRuntime(name, { runtime: 'embedded', supervise: false, root });
    try {
      const containers = await opened.runtime.listContainers({ [Label.project]: name });
      if (containers.length > 0) out.push(summary(name, 'embedded', containers.map((c) => ({ state: c.state, labels: c.labels }))));
    } finally {
      await opened.close();
    }
  }
  return out;
}

/** The Docker engine's hafen projects (by label); rejects when the engine cannot be reached. */
export async function dockerProjects(): Promise<ProjectSummary[]> {
  // Loaded only here: dockerode takes the better part of a second to import.
  const { DockerRuntime } = await import('../runtime/docker/docker-runtime.js');
  const docker = new DockerRuntime();
  try {
    const found = await docker.docker.listContainers({ all: true, filters: { label: [Label.project] } });
    const byProject = new Map<string, { state: string; labels: Record<string, string> }[]>();
    for (const c of found) {
      const name = c.Labels[Label.project];
      if (!name) continue;
      byProject.set(name, [...(byProject.get(name) ?? []), { state: c.State, labels: c.Labels }]);
    }
    return [...byProject.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, cs]) => summary(name, 'docker', cs));
  } finally {
    await docker.close().catch(() => {});
  }
}

function summary(name: string, runtime: ProjectSummary['runtime'], containers: { state: string; labels: Record<string, string> }[]): ProjectSummary {
  const states: Record<string, number> = {};
  for (const c of containers) states[c.state] = (states[c.state] ?? 0) + 1;
  const files = new Set(containers.flatMap((c) => (c.labels[Label.configFiles] ? c.labels[Label.configFiles]!.split(',') : [])));
  return { name, runtime, states, configFiles: [...files] };
}

/** Compose's STATUS of a project: `running(2), exited(1)`, states in alphabetical order. */
export function projectStatus(states: Record<string, number>): string {
  return Object.keys(states)
    .sort()
    .map((s) => `${s}(${states[s]})`)
    .join(', ');
}

/** `--filter name=X`: X is the whole name or a regular expression found in it, as Compose matches. */
export function matchesName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (p === name) return true;
    try {
      return new RegExp(p).test(name);
    } catch {
      return false;
    }
  });
}
