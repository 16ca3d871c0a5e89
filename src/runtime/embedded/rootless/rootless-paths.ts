/**
 * Where the embedded runtime keeps a non-root user's files (issue 17), as rootless Podman does:
 * images, project state and logs under $XDG_DATA_HOME/hafen (default ~/.local/share/hafen);
 * the namespace holder's record under $XDG_RUNTIME_DIR/hafen (a tmpfs that logind empties at
 * logout; without one, a folder of the user's in /tmp). HAFEN_ROOT still overrides the first.
 */
import os from 'node:os';
import path from 'node:path';
import { hostUid as ownHostUid } from './user-namespace.js';

/** The user's data folder for hafen: $XDG_DATA_HOME/hafen, else $HOME/.local/share/hafen. */
export function userDataRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'hafen');
  return path.join(env.HOME || os.homedir(), '.local/share/hafen');
}

/** The user's runtime folder for hafen: $XDG_RUNTIME_DIR/hafen, else /tmp/hafen-<uid>. */
export function userRuntimeDir(env: NodeJS.ProcessEnv = process.env, hostUid: number | undefined = ownHostUid()): string {
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'hafen');
  return path.join(os.tmpdir(), `hafen-${hostUid ?? 'user'}`);
}
