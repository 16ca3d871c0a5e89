/**
 * Pause, top and copies on a Docker engine (`stack pause|unpause|top|cp`): the engine's own
 * pause/unpause and top (`ps -ef` columns), and its archive API for copies, with docker cp's
 * rules for where a copy lands worked out here, as the docker CLI does.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import path from 'node:path/posix';
import type Docker from 'dockerode';
import { RuntimeError } from '../../errors.js';
import { hostTree, pump, treeEntries } from '../copy/copy-entries.js';
import { copyTarget, CopyTargetError, parentOf, sourceName, type DestState } from '../copy/copy-target.js';
import { hostDestState, hostSink } from '../copy/host-sink.js';
import { packEntries, tarEntries } from '../copy/tar-entries.js';
import type { CopyOptions, ProcessTable } from '../runtime.js';
import { engineMessage, isNotFound, naming, statusOf } from './docker-errors.js';

/** What the engine says of a path in a container (the X-Docker-Container-Path-Stat header). */
interface PathStat {
  name: string;
  mode: number;
  linkTarget: string;
}

/** Go's os.FileMode bits for a folder and a symlink. */
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;

/** Freezes the container (Docker's pause). */
export async function pauseContainer(docker: Docker, name: string): Promise<void> {
  await naming(`container ${name}`, 'cannot pause', () => docker.getContainer(name).pause());
}

/** Thaws the container. */
export async function unpauseContainer(docker: Docker, name: string): Promise<void> {
  await naming(`container ${name}`, 'cannot unpause', () => docker.getContainer(name).unpause());
}

/** The container's processes, in `ps -ef`'s columns. */
export async function topOf(docker: Docker, name: string): Promise<ProcessTable> {
  const r = (await naming(`container ${name}`, 'cannot list processes', () => docker.getContainer(name).top({ ps_args: '-ef' }))) as {
    Titles?: string[];
    Processes?: string[][];
  };
  return { titles: r.Titles ?? [], processes: r.Processes ?? [] };
}

/** The engine's stat of `p` in the container, or undefined when there is nothing there. */
async function statPath(container: Docker.Container, p: string): Promise<PathStat | undefined> {
  try {
    const res = (await container.infoArchive({ path: p })) as unknown as { headers: Record<string, string | undefined>; resume?: () => void };
    res.resume?.();
    const header = res.headers['x-docker-container-path-stat'];
    if (!header) throw new Error('the engine sent no path stat');
    return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
  } catch (err) {
    if (isNotFound(err) && !/no such container/i.test(engineMessage(err))) return undefined;
    throw err;
  }
}

const isDir = (s: PathStat): boolean => (s.mode & GO_DIR) !== 0;

function refused(name: string, err: unknown): never {
  if (err instanceof CopyTargetError) throw new RuntimeError(`container ${name}`, err.message);
  throw err;
}

/** `docker cp CONTAINER:SRC DEST`. */
export async function copyFrom(docker: Docker, name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
  const container = docker.getContainer(name);
  await naming(`container ${name}`, 'cannot copy from it', async () => {
    let from = src;
    let stat = await statPath(container, from);
    if (!stat) throw new RuntimeError(`container ${name}`, `${src}: no such file or directory`);
    // -L: what the link points to (the engine resolved it inside the container), under the link's own name.
    if (opts.followLink && stat.linkTarget) {
      from = stat.linkTarget;
      stat = (await statPath(container, from)) ?? stat;
    }
    let target;
    try {
      target = copyTarget(src, isDir(stat), dest, hostDestState(dest));
    } catch (err) {
      refused(name, err);
    }
    const tar = (await container.getArchive({ path: from })) as unknown as NodeJS.ReadableStream;
    await pump(tarEntries(tar), hostSink(target, { keepOwners: opts.archive === true }));
  });
}

/** `docker cp SRC CONTAINER:DEST`. */
export async function copyTo(docker: Docker, name: string, src: string, dest: string, opts: CopyOptions = {}): Promise<void> {
  const container = docker.getContainer(name);
  const resolved = nodePath.resolve(opts.followLink ? fs.realpathSync(src) : src);
  const st = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (!st) throw new RuntimeError('copy', `${src}: no such file or directory`);
  await naming(`container ${name}`, 'cannot copy into it', async () => {
    const destStat = await statPath(container, dest);
    let state: DestState;
    if (destStat) state = { kind: isDir(destStat) ? 'dir' : 'other' };
    else {
      const parent = await statPath(container, parentOf(dest));
      state = { kind: 'none', parentIsDir: parent ? isDir(parent) : false };
    }
    // A destination that is a symlink to a folder counts as that folder (the engine follows it inside the container).
    if (destStat?.linkTarget) {
      const linked = await statPath(container, destStat.linkTarget);
      if (linked) state = { kind: isDir(linked) ? 'dir' : 'other' };
    }
    let target;
    try {
      target = copyTarget(src, st.isDirectory(), dest, state);
    } catch (err) {
      refused(name, err);
    }
    const into = target.merge ? target.path : parentOf(target.path);
    const topName = target.merge ? '' : path.basename(target.path) || sourceName(src);
    const tree = hostTree(nodePath.dirname(resolved));
    const tar = packEntries(treeEntries(tree, nodePath.basename(resolved)), topName);
    try {
      await container.putArchive(tar, { path: into, ...(opts.archive ? { copyUIDGID: '1' } : {}) });
    } catch (err) {
      if (statusOf(err) === 403) throw new RuntimeError(`container ${name}`, `${dest}: the destination is read-only`);
      throw err;
    }
  });
}
