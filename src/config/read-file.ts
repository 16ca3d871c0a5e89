/**
 * Reads a stack file or env file as text, refusing huge files before anything parses them. The
 * reads are synchronous: a stack file is read before anything else can go on, and the first
 * asynchronous read would load node:fs/promises and start libuv's thread pool, a tenth of
 * `stack config -q` (issue 16).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError, ConfigNotFoundError } from '../errors.js';

/** Stack files and env files larger than this are refused: no real one comes close. */
export const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Reads at most MAX_FILE_BYTES of UTF-8 text. The size is checked from `stat` first and again while
 * reading, so a huge or endless file (a FIFO, /dev/zero) costs at most one limit's worth of memory.
 * Still async, so a failure is a rejection, as its callers expect.
 * @param file absolute path to read
 * @param shown the path as the user named it, for messages
 */
export async function readTextFile(file: string, shown: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw fileError(err, shown);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fileProblem(shown, 'is a folder, not a file');
    if (stat.size > MAX_FILE_BYTES) throw tooBig(shown, stat.size);
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_FILE_BYTES) throw tooBig(shown, length);
    }
    return decodeUtf8(buffer.subarray(0, length), shown);
  } finally {
    closeSync(fd);
  }
}

function decodeUtf8(bytes: Buffer, shown: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM is not content
  } catch {
    throw fileProblem(shown, 'is not UTF-8 text');
  }
}

function tooBig(shown: string, bytes: number): ConfigError {
  const size = bytes > MAX_FILE_BYTES * 2 ? `${(bytes / MAX_FILE_BYTES).toFixed(1)} MiB` : `${bytes} bytes`;
  return fileProblem(shown, `is too large (${size}); the limit is 1 MiB (${MAX_FILE_BYTES} bytes)`);
}

function fileProblem(shown: string, what: string): ConfigError {
  return new ConfigError([{ location: { file: shown, line: 1, col: 1, path: '' }, message: `the file ${what}` }]);
}

function fileError(err: unknown, shown: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ConfigNotFoundError(`${shown}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return fileProblem(shown, 'cannot be read (permission denied)');
  if (code === 'EISDIR') return fileProblem(shown, 'is a folder, not a file');
  return fileProblem(shown, `cannot be read (${code ?? String(err)})`);
}
