/**
 * What a stack reads from or makes on the host, checked before `up` touches anything: an image
 * archive that is a device, FIFO or socket never ends, so it is refused by name; a long-syntax bind
 * whose source is missing is refused unless it says `bind.create_host_path: true` (as Compose
 * refuses it, through the engine's Mount API). The short syntax (`./data:/data`) creates a missing
 * folder, as Compose always did; so does `create_host_path: true`. hafen makes those folders
 * itself, on either runtime, and says so, one line each. `down` leaves them, as Compose does.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Stack } from '../config/model.js';
import type { Runtime } from '../runtime/runtime.js';
import { ConfigError, RuntimeError, type ConfigIssue } from '../errors.js';
import { parseImageSource } from '../runtime/embedded/image-io/image-sources.js';
import { sourceFileProblem } from '../runtime/embedded/image-io/source-file.js';
import { recordCreatedHostPaths } from './created-host-paths.js';

/** A folder `up` made for a bind mount. */
export interface CreatedHostPath {
  /** Absolute path of the folder made. */
  path: string;
  /** The mount it was made for: `services.web.volumes[0]`. */
  key: string;
}

/** A path as the user would write it: `./data` inside the stack's folder, else absolute. */
export function displayPath(stack: Stack, file: string): string {
  const rel = path.relative(stack.dir, file);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? file : `./${rel}`;
}

/** Whether a bind source is a POSIX path this host can check (a Windows one is refused elsewhere). */
function checkable(source: string): boolean {
  return path.isAbsolute(source);
}

/**
 * The problems with `services`' host sources: archives that are not what their transport reads
 * (a missing one is left to the import, which may not be needed when the image is in the store),
 * and long-syntax binds whose source is missing without `create_host_path: true`. Touches nothing.
 */
export function hostSourceIssues(stack: Stack, services: Iterable<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const name of services) {
    const service = stack.services[name];
    if (!service) continue;
    if (service.image !== undefined) {
      const source = parseImageSource(service.image);
      if ((source.kind === 'docker-archive' || source.kind === 'oci') && fs.existsSync(source.path)) {
        const problem = sourceFileProblem(source.kind, source.path);
        if (problem) issues.push({ location: stack.source.locate(`services.${name}.image`), message: problem });
      }
    }
    service.volumes.forEach((m, i) => {
      if (m.type !== 'bind' || m.create_host_path || !checkable(m.source) || pathExists(m.source)) return;
      issues.push({
        location: stack.source.locate(`services.${name}.volumes[${i}].source`),
        message: `bind source ${displayPath(stack, m.source)} does not exist; create it, or add \`bind: {create_host_path: true}\` to let up create it (the short syntax ${displayPath(stack, m.source)}:${m.target} creates it too)`,
      });
    });
  }
  return issues;
}

/** Throws a ConfigError (exit 2) naming every problem hostSourceIssues finds. */
export function assertHostSources(stack: Stack, services: Iterable<string>): void {
  const issues = hostSourceIssues(stack, services);
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * Makes the missing bind sources of `services` that may be made (short syntax, `create_host_path:
 * true`) as folders, parents too, before any container is created (dockerd's Mount API refuses a
 * missing source; the embedded runtime would make it silently). Returns what it made.
 */
export function createBindSources(stack: Stack, services: Iterable<string>): CreatedHostPath[] {
  const made: CreatedHostPath[] = [];
  for (const name of services) {
    const service = stack.services[name];
    if (!service) continue;
    service.volumes.forEach((m, i) => {
      if (m.type !== 'bind' || !m.create_host_path || !checkable(m.source) || pathExists(m.source)) return;
      const key = bindKey(name, i);
      try {
        fs.mkdirSync(m.source, { recursive: true });
      } catch (err) {
        throw new RuntimeError(`service ${name}`, `cannot create the bind source ${m.source} for ${key}: ${(err as Error).message}`, { cause: err });
      }
      made.push({ path: m.source, key });
    });
  }
  return made;
}

function bindKey(service: string, index: number): string {
  return `services.${service}.volumes[${index}]`;
}

/**
 * Makes what createBindSources may make, says one line per folder (`created ./data for
 * services.web.volumes[0]`) and records them in the project's state under `root` for `down`.
 * issue 19: the bind sources of a service on another host (runtime.remoteBinds) are made there.
 */
export async function makeBindSources(stack: Stack, services: Iterable<string>, report: { say?: (line: string) => void; root?: string }, runtime?: Runtime): Promise<void> {
  const all = [...services];
  const made = createBindSources(stack, all.filter((s) => !runtime?.remoteBinds?.(s)));
  for (const m of made) report.say?.(`created ${displayPath(stack, m.path)} for ${m.key}`);
  if (report.root !== undefined) recordCreatedHostPaths(report.root, stack.name, made);
  for (const name of all) {
    const there = runtime?.remoteBinds?.(name);
    const wanted = (stack.services[name]?.volumes ?? []).flatMap((m, i) => (m.type === 'bind' && m.create_host_path && checkable(m.source) ? [{ path: m.source, key: bindKey(name, i) }] : []));
    if (!there || wanted.length === 0) continue;
    const madeThere = new Set(await there.make(wanted.map((w) => w.path)));
    for (const w of wanted) if (madeThere.has(w.path)) report.say?.(`created ${w.path} on ${there.host} for ${w.key}`);
  }
}

/** Whether something is at `file` (a dangling symlink counts: mkdir through it would fail, and Docker refuses it too). */
function pathExists(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
}
