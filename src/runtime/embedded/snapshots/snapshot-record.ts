/**
 * Snapshot records (issue 20): `<root>/snapshots/<project>/<name>.json`, outside the project's state
 * folder, so a snapshot outlives `down` (a CI job seeds once and resets many times); `down -v`
 * removes them with the volumes. A record names layers of the store by ChainID; the layers are the
 * data, the record only says which container or volume stands on which.
 */
import fs from 'node:fs';
import path from 'node:path';
import { noSuchSnapshot, SnapshotError } from '../../../errors.js';
import type { SnapshotInfo } from '../../snapshot-types.js';
import { projectDir } from '../state/index.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';

/** Snapshot names: a path segment, as image tags are written. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** `stack snapshot ls|list|rm` are subcommands, so these cannot be snapshot names. */
const RESERVED = new Set(['ls', 'list', 'rm']);

/** One container as a snapshot holds it. */
export interface SnapshotContainer {
  service: string;
  /** The image's manifest digest: a reset onto another image would mix two file trees. */
  image?: string;
  /** Snapshot layers over the image, base first (ChainIDs); empty when it had changed nothing. */
  layers: string[];
  /** Its anonymous volumes by target in the container: their layers, base first (absent: none, or a snapshot taken before they were captured). */
  anonymous?: Record<string, { layers: string[] }>;
}

/** Everything kept of one snapshot. */
export interface SnapshotRecord {
  version: 1;
  name: string;
  project: string;
  createdAt: string;
  containers: Record<string, SnapshotContainer>;
  /** Named volumes by runtime name: their layers, base first. */
  volumes: Record<string, { layers: string[] }>;
  /** Uncompressed bytes of its layers. */
  size: number;
}

/** Throws a SnapshotError unless `name` can name a snapshot. */
export function checkSnapshotName(name: string): void {
  if (RESERVED.has(name)) throw new SnapshotError(`snapshot name ${JSON.stringify(name)} is a subcommand of \`stack snapshot\`; choose another name`);
  if (!NAME.test(name)) throw new SnapshotError(`snapshot name ${JSON.stringify(name)}: use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-")`);
}

/** The folder of a project's snapshot records. */
export function snapshotsDir(root: string, project: string): string {
  projectDir(root, project); // checks the project name
  return path.join(root, 'snapshots', project);
}

function recordPath(root: string, project: string, name: string): string {
  checkSnapshotName(name);
  return path.join(snapshotsDir(root, project), `${name}.json`);
}

/** The record of snapshot `name`, or undefined. */
export function readSnapshot(root: string, project: string, name: string): SnapshotRecord | undefined {
  return readJsonFile<SnapshotRecord>(recordPath(root, project, name));
}

/** The record of snapshot `name`; a SnapshotError naming the ones there are when it does not exist. */
export function requireSnapshot(root: string, project: string, name: string): SnapshotRecord {
  const found = readSnapshot(root, project, name);
  if (found) return found;
  const known = listSnapshotRecords(root, project).map((s) => s.name);
  throw noSuchSnapshot(project, name, known);
}

/** Writes (or replaces) a record atomically. */
export function writeSnapshot(root: string, record: SnapshotRecord): void {
  const file = recordPath(root, record.project, record.name);
  const write = () => {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, JSON.stringify(record, null, 1));
  };
  try {
    write();
  } catch (err) {
    // Another project's last snapshot removed the empty `snapshots/` folder between the mkdir and the write.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    write();
  }
}

/** Removes `<root>/snapshots` once no project has a snapshot: `down -v` of the last leaves nothing there. */
export function removeEmptySnapshotsDir(root: string): void {
  try {
    fs.rmdirSync(path.join(root, 'snapshots'));
  } catch {
    // not empty (another project's snapshots), or gone already
  }
}

/** Deletes a record (its layers are the caller's). */
export function deleteSnapshotRecord(root: string, project: string, name: string): void {
  fs.rmSync(recordPath(root, project, name), { force: true });
  const dir = snapshotsDir(root, project);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmSync(dir, { recursive: true, force: true });
  removeEmptySnapshotsDir(root);
}

/** The records of a project, oldest first. */
export function listSnapshotRecords(root: string, project: string): SnapshotRecord[] {
  let files: string[];
  try {
    files = fs.readdirSync(snapshotsDir(root, project)).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  } catch {
    return [];
  }
  return files
    .map((f) => readJsonFile<SnapshotRecord>(path.join(snapshotsDir(root, project), f)))
    .filter((r): r is SnapshotRecord => r !== undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** Every project with snapshot records. */
export function projectsWithSnapshots(root: string): string[] {
  try {
    return fs.readdirSync(path.join(root, 'snapshots'));
  } catch {
    return [];
  }
}

/** The layers a snapshot record names: its containers', their anonymous volumes', its named volumes'. */
export function layersOf(record: SnapshotRecord): string[] {
  return [
    ...Object.values(record.containers).flatMap((c) => [...c.layers, ...Object.values(c.anonymous ?? {}).flatMap((a) => a.layers)]),
    ...Object.values(record.volumes).flatMap((v) => v.layers),
  ];
}

/** A record as `stack snapshot ls` reports it. */
export function snapshotInfo(record: SnapshotRecord): SnapshotInfo {
  const containers = Object.keys(record.containers).sort();
  return {
    name: record.name,
    project: record.project,
    services: [...new Set(Object.values(record.containers).map((c) => c.service))].sort(),
    containers,
    volumes: Object.keys(record.volumes).sort(),
    size: record.size,
    createdAt: record.createdAt,
  };
}
