/**
 * What an image source path must be before anything reads it: a `docker-archive:` a regular file,
 * an `oci:` layout a directory. A device (`/dev/zero`), a FIFO or a socket never ends or never
 * starts, so it is refused by name rather than read until the machine gives out.
 */
import fs from 'node:fs';
import { RuntimeError } from '../../../errors.js';

/** The kinds of image source that are read from the filesystem. */
export type FileSourceKind = 'docker-archive' | 'oci';

/** What a file of this type is, in words, for messages. */
function describe(st: fs.Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Why `file` cannot be the source of this kind, or undefined when it can. Stats through symlinks
 * (a link to /dev/zero is /dev/zero). A missing path says so. Touches nothing.
 */
export function sourceFileProblem(kind: FileSourceKind, file: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${file} does not exist`;
    return `cannot read ${file}: ${(err as Error).message}`;
  }
  if (kind === 'oci') {
    // A layout is a folder; on Docker an OCI archive (a tar file) is taken too.
    if (st.isDirectory() || st.isFile()) return undefined;
    return `${file} is ${describe(st)}; an OCI image layout is a directory (oci-layout, index.json, blobs/)`;
  }
  if (st.isFile()) return undefined;
  return `${file} is ${describe(st)}; a docker-archive is a regular tar file (what \`docker save\` writes)`;
}

/**
 * Opens an archive for reading, refusing anything but a regular file without blocking on it
 * (O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever). Returns the descriptor.
 */
export function openArchiveFile(file: string, what: string): number {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new RuntimeError(what, `cannot read it: ${(err as Error).message}`, { cause: err });
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new RuntimeError(what, `${file} is ${describe(st)}; a docker-archive is a regular tar file (what \`docker save\` writes)`);
  }
  return fd;
}
