/** Where the Docker runtime keeps hafen's own small state about a project (locks, stop records). */
import os from 'node:os';
import path from 'node:path';
import { defaultRoot } from '../embedded/store/store-paths.js';

/**
 * Where the Docker runtime keeps its little state (the project locks, stop records): HAFEN_ROOT, else root's
 * /var/lib/hafen, else the user's $XDG_STATE_HOME/hafen (~/.local/state/hafen).
 */
export function dockerStateRoot(env: NodeJS.ProcessEnv = process.env, uid: number | undefined = process.getuid?.(), home: string = os.homedir()): string {
  if (env.HAFEN_ROOT || uid === 0) return defaultRoot(env);
  return path.join(env.XDG_STATE_HOME || path.join(home, '.local', 'state'), 'hafen');
}

