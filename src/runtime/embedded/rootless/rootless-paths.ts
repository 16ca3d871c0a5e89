/**
 * Where the embedded runtime keeps a non-root user's files (issue 17), as rootless Podman does:
 * images, project state and logs under $XDG_DATA_HOME/hafen (default ~/.local/share/hafen);
 * the namespace holder's record and the supervisors' sockets under $XDG_RUNTIME_DIR/hafen (a tmpfs
 * that logind empties at logout; without one, a folder of the user's in /tmp). HAFEN_ROOT still
 * overrides the first.
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

/** 32-bit FNV-1a of `text`, as 8 hex digits: short, stable, and no crypto module to load at start. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The name of a supervisor's socket in the user's runtime folder (src/supervisor/socket-path.ts):
 * `<project>-<hash of the state root>.sock`, so two state roots (HAFEN_ROOT) of one user stay apart.
 */
export function supervisorSocketName(root: string, project: string): string {
  return `${project}-${shortHash(path.resolve(root))}.sock`;
}

/** Whether `file`, a name in the user's runtime folder, is a supervisor's socket. */
export function isSupervisorSocketName(file: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*-[0-9a-f]{8}\.sock$/.test(file);
}
