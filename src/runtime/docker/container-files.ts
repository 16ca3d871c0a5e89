/**
 * Secrets and configs on Docker, as docker compose (non-swarm) gives them: a host file without
 * uid, gid or mode is a read-only bind mount; every other one (an environment variable's value,
 * inline content, or a host file with an owner or mode, which compose ignores and we honour) is
 * copied into the created container as a tar, before it starts. The data goes from memory to the
 * engine's archive API: no host file, no command line, nothing in `docker inspect`.
 */
import fs from 'node:fs';
import tarStream from 'tar-stream';
import { RuntimeError } from '../../errors.js';
import type { ContainerFile } from '../runtime.js';

/** docker compose's mode for a file it copies in. */
const DEFAULT_MODE = 0o444;

/** A file bound as it is: a host file with nothing to change about it. */
export function isBound(f: ContainerFile): f is ContainerFile & { source: { kind: 'file' } } {
  return f.source.kind === 'file' && f.uid === undefined && f.gid === undefined && f.mode === undefined;
}

/** The read-only bind mounts of `files` (Docker's HostConfig.Mounts entries). */
export function fileMounts(files: readonly ContainerFile[] | undefined): Record<string, unknown>[] {
  return (files ?? []).filter(isBound).map((f) => ({ Type: 'bind', Source: f.source.path, Target: f.target, ReadOnly: true }));
}

/** The files to copy in, and whether their owners must be kept (`copyUIDGID`). */
export function copiedFiles(files: readonly ContainerFile[] | undefined): { files: ContainerFile[]; keepOwners: boolean } {
  const copied = (files ?? []).filter((f) => !isBound(f));
  return { files: copied, keepOwners: copied.some((f) => f.uid !== undefined || f.gid !== undefined) };
}

/** A tar of `files` at their targets (relative to `/`), with their owners and modes. */
export async function filesArchive(files: readonly ContainerFile[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const f of files) {
    const data = f.source.kind === 'data' ? Buffer.from(f.source.data.reveal(), 'utf8') : readHostFile(f, f.source.path);
    pack.entry({ name: f.target.replace(/^\/+/, ''), size: data.length, mode: f.mode ?? DEFAULT_MODE, uid: f.uid ?? 0, gid: f.gid ?? 0, mtime: new Date() }, data);
  }
  pack.finalize();
  return done;
}

function readHostFile(f: ContainerFile, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new RuntimeError(f.what, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
