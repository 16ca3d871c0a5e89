/**
 * Where this machine keeps its bookkeeping for remote hosts (issue 19: the project lock of a
 * command, `ready:` records, port forwarders), on whatever system the CLI runs. On Linux it is
 * the embedded runtime's own state root (/var/lib/hafen for root, $XDG_DATA_HOME/hafen for a user);
 * elsewhere a per-user folder that system has: $XDG_DATA_HOME/hafen where it is set, else
 * ~/Library/Application Support/hafen (macOS), %LOCALAPPDATA%\hafen (Windows), ~/.local/share/hafen.
 * HAFEN_ROOT overrides all.
 */
import os from 'node:os';
import path from 'node:path';
import { defaultRoot } from '../runtime/embedded/store/store-paths.js';

/** The state root for remote hosts' bookkeeping on `platform`. */
export function localStateRoot(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform, home: string = os.homedir()): string {
  if (env.HAFEN_ROOT) return path.resolve(env.HAFEN_ROOT);
  if (platform === 'linux') return defaultRoot(env);
  const p = platform === 'win32' ? path.win32 : path.posix;
  const xdg = env.XDG_DATA_HOME;
  if (xdg && p.isAbsolute(xdg)) return p.join(xdg, 'hafen');
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', 'hafen');
  if (platform === 'win32') return p.join(env.LOCALAPPDATA && p.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : p.join(home, 'AppData', 'Local'), 'hafen');
  return p.join(home, '.local', 'share', 'hafen');
}
