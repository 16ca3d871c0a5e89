/**
 * Named volumes: a folder per volume in its project's state folder, `volumes/<name>/`, beside a
 * `volumes/<name>.json` with its labels. A container binds the folder; nothing is mounted on the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { VolumeSpec } from '../../runtime.js';
import { readJsonFile, writeFileAtomic } from '../store/atomic.js';
import { ensureProjectDir, projectDir } from '../state/index.js';
import { listProjects, listRecords } from './container-record.js';
import { removeLayeredParts } from '../snapshots/layered-volume.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A volume as kept on disk. */
export interface VolumeRecord {
  name: string;
  project: string;
  labels: Record<string, string>;
  createdAt: string;
  /** A host folder the volume is (the local driver's `type: none, o: bind, device: PATH`); its data is not ours to delete. */
  device?: string;
  // Snapshots and resets (issue 20, snapshots/layered-volume.ts).
  /** Set once the volume was reset onto a snapshot: its layers (ChainIDs, base first) under an upper dir, mounted as overlayfs on its folder. */
  layers?: string[];
}

/** A volume found: its record and its folder. */
export interface FoundVolume {
  record: VolumeRecord;
  dir: string;
}

function volumesDir(root: string, project: string): string {
  return path.join(projectDir(root, project), 'volumes');
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new RuntimeError(`volume ${JSON.stringify(name)}`, 'not a usable volume name (letters, digits, "_", "." and "-")');
}

/** Whether every label of `wanted` is on `labels`. */
export function hasLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/** Creates a volume of `project` (idempotent: an existing one is kept, data and all). */
export function createVolume(root: string, project: string, spec: VolumeSpec): FoundVolume {
  checkName(spec.name);
  ensureProjectDir(root, project);
  const dir = path.join(volumesDir(root, project), spec.name);
  const file = `${dir}.json`;
  const existing = readJsonFile<VolumeRecord>(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (existing) return { record: existing, dir };
  const device = bindDevice(spec);
  const record: VolumeRecord = { name: spec.name, project, labels: { ...spec.labels }, createdAt: new Date().toISOString(), ...(device ? { device } : {}) };
  writeFileAtomic(file, JSON.stringify(record, null, 1));
  return { record, dir };
}

/** Finds a volume by name, in `prefer` first, then in every other project. */
export function findVolume(root: string, name: string, prefer?: string): FoundVolume | undefined {
  checkName(name);
  const projects = listProjects(root);
  const order = prefer && projects.includes(prefer) ? [prefer, ...projects.filter((p) => p !== prefer)] : projects;
  for (const project of order) {
    const dir = path.join(volumesDir(root, project), name);
    const record = readJsonFile<VolumeRecord>(`${dir}.json`);
    if (record) return { record, dir };
  }
  return undefined;
}

/** Deletes the volume `name` unless a container (in any state) mounts it. */
export function removeUnusedVolume(root: string, name: string): void {
  const found = findVolume(root, name);
  if (!found) throw new RuntimeError(`volume ${name}`, 'no such volume');
  const users = listRecords(root).filter((r) => r.spec.mounts.some((m) => m.type === 'volume' && m.source === name));
  if (users.length > 0) throw new RuntimeError(`volume ${name}`, `in use by ${users.map((u) => u.name).join(', ')}; remove them first`);
  deleteVolume(found);
}

/** Deletes a volume's data and record. */
export function deleteVolume(found: FoundVolume): void {
  removeLayeredParts(found); // a volume reset onto a snapshot: its overlay and upper dir (issue 20)
  fs.rmSync(found.dir, { recursive: true, force: true });
  fs.rmSync(`${found.dir}.json`, { force: true });
  fs.rmSync(`${found.dir}.snapshot-capture`, { force: true }); // what its last snapshot captured (issue 20)
}

/** Every volume whose labels include `labels`. */
export function listVolumes(root: string, labels: Record<string, string>): VolumeRecord[] {
  return listProjects(root).flatMap((project) => {
    let files: string[];
    try {
      files = fs.readdirSync(volumesDir(root, project)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    return files
      .map((f) => readJsonFile<VolumeRecord>(path.join(volumesDir(root, project), f)))
      .filter((r): r is VolumeRecord => r !== undefined && hasLabels(r.labels, labels));
  });
}

/**
 * The host folder of a volume in the local driver's bind form (`type: none, o: bind, device: PATH`);
 * undefined without driver options. Other options are refused: the embedded runtime mounts nothing else.
 */
export function bindDevice(spec: VolumeSpec): string | undefined {
  const opts = spec.driverOpts ?? {};
  if (Object.keys(opts).length === 0) return undefined;
  const flags = (opts.o ?? '').split(',').map((f) => f.trim());
  const extra = Object.keys(opts).filter((k) => !['type', 'o', 'device'].includes(k));
  if (opts.type !== 'none' || !(flags.includes('bind') || flags.includes('rbind')) || !opts.device || extra.length > 0) {
    throw new RuntimeError(`volume ${spec.name}`, `driver_opts ${JSON.stringify(opts)}: only the bind form {type: none, o: bind, device: /path} is supported on the embedded runtime`);
  }
  if (!path.isAbsolute(opts.device)) throw new RuntimeError(`volume ${spec.name}`, `driver_opts.device ${opts.device} must be an absolute path`);
  if (!fs.existsSync(opts.device)) throw new RuntimeError(`volume ${spec.name}`, `driver_opts.device ${opts.device}: no such file or directory (the local driver binds an existing folder)`);
  return opts.device;
}
