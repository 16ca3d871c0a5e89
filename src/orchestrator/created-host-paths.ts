/**
 * The host folders `up` made for bind mounts, recorded in the project's state so that `down` can
 * say which ones it leaves (they may hold the user's data, so it keeps them, as Compose does) and
 * the record goes with the project. One JSON file per project; a damaged one is ignored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ensureProjectDir, projectDir } from '../runtime/embedded/state/index.js';
import type { CreatedHostPath } from './host-sources.js';

const FILE = 'created-host-paths.json';

function read(file: string): CreatedHostPath[] {
  try {
    const data: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(data) ? data.filter((e): e is CreatedHostPath => typeof e?.path === 'string' && typeof e?.key === 'string') : [];
  } catch {
    return [];
  }
}

/** Adds `made` to the project's record (kept once per path). */
export function recordCreatedHostPaths(root: string, project: string, made: readonly CreatedHostPath[]): void {
  if (made.length === 0) return;
  const file = path.join(ensureProjectDir(root, project), FILE);
  const known = read(file);
  const paths = new Set(known.map((e) => e.path));
  const all = [...known, ...made.filter((e) => !paths.has(e.path))];
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The project's record, removed: what `down` leaves behind on the host. */
export function takeCreatedHostPaths(root: string, project: string): CreatedHostPath[] {
  const file = path.join(projectDir(root, project), FILE);
  const entries = read(file);
  fs.rmSync(file, { force: true });
  return entries;
}
