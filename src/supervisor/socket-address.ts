/**
 * Unix socket paths longer than Linux allows. `bind` and `connect` take at most 107 bytes of path
 * (sun_path is 108 with its NUL), while a supervisor's socket lives at
 * `<HAFEN_ROOT>/projects/<project>/supervisor.sock`, which a long HAFEN_ROOT and a 63-character
 * project name pass easily. Such a path is reached through an open descriptor of its folder,
 * `/proc/self/fd/N/supervisor.sock`, which the kernel resolves to the same file; the descriptor
 * is closed once the socket is bound or connected (the socket keeps its file).
 */
import fs from 'node:fs';
import path from 'node:path';

/** The longest path `bind`/`connect` take (sun_path's 108 bytes less the NUL). */
export const SOCKET_PATH_MAX = 107;

/**
 * Calls `use` with an address for the socket file `socket` that fits sun_path, and resolves with
 * its result once it settles; the folder's descriptor (when one was needed) is closed then.
 */
export async function withSocketAddress<T>(socket: string, use: (address: string) => Promise<T>): Promise<T> {
  if (Buffer.byteLength(socket) <= SOCKET_PATH_MAX) return use(socket);
  const fd = fs.openSync(path.dirname(socket), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    return await use(`/proc/self/fd/${fd}/${path.basename(socket)}`);
  } finally {
    fs.closeSync(fd);
  }
}
