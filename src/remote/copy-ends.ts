/**
 * The remote ends of `stack cp` (issue 19), run by `hafen system copy-out|copy-in` in an ssh
 * session of their own whose stdout or stdin is the archive (a tar whose top entry is the copied
 * top, as Docker's archive API gives and takes). Each goes through a private folder on this host:
 * the project's runtime copies there or from there by its own rules (what the container holds is
 * resolved inside the container, a hostile link never followed out), and the folder goes at the end.
 * A failure is written to stderr as one JSON line after ERROR_MARK, so the CLI there rethrows it
 * with its code and words.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hostTree, pump, treeEntries } from '../runtime/copy/copy-entries.js';
import { hostSink } from '../runtime/copy/host-sink.js';
import { packEntries, tarEntries } from '../runtime/copy/tar-entries.js';
import type { CopyOptions } from '../runtime/runtime.js';
import { toWire } from '../supervisor/protocol.js';

/** What precedes the JSON of an error on the session's stderr. */
export const ERROR_MARK = 'hafen-copy-error:';
/** The name the copied top has in the archive and in the private folder. */
export const ARCHIVE_TOP = 'top';

/** One end of a copy: the project and container it copies from or into. */
export interface CopyEnd {
  project: string;
  container: string;
  opts: CopyOptions;
}

/** Runs `fn` with a private folder of this host (0700), removed after whatever happened; a failure goes to stderr for the CLI there. */
async function inPrivateFolder(fn: (dir: string) => Promise<void>): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hafen-cp-'));
  try {
    await fn(dir);
    return 0;
  } catch (err) {
    process.stderr.write(`${ERROR_MARK}${JSON.stringify(toWire(err))}\n`);
    return 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function openRuntime(project: string) {
  const { openProjectRuntime } = await import('../orchestrator/project-runtime.js');
  return openProjectRuntime(project, { runtime: 'embedded', supervise: false, say: (l) => process.stderr.write(`${l}\n`) });
}

/** Copies `src` of the container into the private folder, then writes it to `out` as an archive; resolves with the exit code. */
export function copyOutEnd(end: CopyEnd, src: string, out: NodeJS.WritableStream): Promise<number> {
  return inPrivateFolder(async (dir) => {
    const opened = await openRuntime(end.project);
    try {
      await opened.runtime.copyFromContainer(end.container, src, path.join(dir, ARCHIVE_TOP), end.opts);
    } finally {
      await opened.close();
    }
    await pipeline(packEntries(treeEntries(hostTree(dir), ARCHIVE_TOP), ARCHIVE_TOP), out);
  });
}

/**
 * Unpacks the archive on `input` into the private folder (no entry may climb out of it), then
 * copies it into the container at `dest`: under `name` (the source's own name, as the user wrote
 * it) or, with `contents`, its contents (`dir/.`).
 */
export function copyInEnd(end: CopyEnd, dest: string, name: string, contents: boolean, input: NodeJS.ReadableStream): Promise<number> {
  return inPrivateFolder(async (dir) => {
    if (!contents && (name === '' || name === '.' || name === '..' || name.includes('/'))) throw new Error(`not a name to copy under: ${JSON.stringify(name)}`);
    const top = contents ? ARCHIVE_TOP : name;
    await pump(tarEntries(input), hostSink({ path: path.join(dir, top), merge: false }, { keepOwners: end.opts.archive === true }));
    const opened = await openRuntime(end.project);
    try {
      await opened.runtime.copyToContainer(end.container, contents ? `${path.join(dir, top)}/.` : path.join(dir, top), dest, { ...(end.opts.archive ? { archive: true } : {}) });
    } finally {
      await opened.close();
    }
  });
}
