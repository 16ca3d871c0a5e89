/**
 * A container's secret and config files on the embedded runtime. A host file without uid, gid or
 * mode is bound as it is (read-only, as docker compose binds it); every other one is written, with
 * its owner and mode, into `files/` of the container's state folder (0700, so only root reaches
 * it; removed with the container) and bound read-only from there. The data goes from memory to
 * that file and nowhere else: not to a command line, a log or the container's record.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { ContainerFile, ContainerSpec } from '../../runtime.js';
import type { BindSpec } from '../launcher/spec.js';

/** Docker compose's mode for a secret or config it writes. */
const DEFAULT_MODE = 0o444;

/** The folder of a container's written files. */
export function filesDir(containerDir: string): string {
  return path.join(containerDir, 'files');
}

/** Writes what must be written and returns the binds of every file of `spec`. */
export function materializeFiles(spec: ContainerSpec, containerDir: string): BindSpec[] {
  const files = spec.files ?? [];
  if (files.length === 0) return [];
  const dir = filesDir(containerDir);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  return files.map((f, i) => {
    if (!f.target.startsWith('/')) throw new RuntimeError(`container ${spec.name}`, `${f.what}: target ${JSON.stringify(f.target)} must be an absolute path`);
    if (f.source.kind === 'file' && f.uid === undefined && f.gid === undefined && f.mode === undefined) {
      hostFile(spec, f, f.source.path);
      return { source: f.source.path, target: f.target, readOnly: true };
    }
    const file = path.join(dir, String(i));
    writeFile(file, dataOf(spec, f), f);
    return { source: file, target: f.target, readOnly: true };
  });
}

/** The files of `spec` as its record keeps them: each source the file it is bound from, no data. */
export function recordedFiles(files: readonly ContainerFile[] | undefined, binds: readonly BindSpec[]): ContainerFile[] | undefined {
  if (!files) return undefined;
  return files.map((f, i) => ({ ...f, source: { kind: 'file', path: binds[i]!.source } }));
}

function dataOf(spec: ContainerSpec, f: ContainerFile): Buffer {
  if (f.source.kind === 'data') return Buffer.from(f.source.data.reveal(), 'utf8');
  hostFile(spec, f, f.source.path);
  return fs.readFileSync(f.source.path);
}

/** A host file source must be a file: a bind of a missing one would make a directory. */
function hostFile(spec: ContainerSpec, f: ContainerFile, file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new RuntimeError(`container ${spec.name}`, `${f.what}: file ${file} does not exist`);
  }
  if (!stat.isFile()) throw new RuntimeError(`container ${spec.name}`, `${f.what}: ${file} is not a file`);
}

/** Created 0600 (never readable by others, not even for a moment), then given its owner and mode. */
function writeFile(file: string, data: Buffer, f: ContainerFile): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fchownSync(fd, f.uid ?? 0, f.gid ?? 0);
    fs.fchmodSync(fd, f.mode ?? DEFAULT_MODE);
  } finally {
    fs.closeSync(fd);
  }
}
