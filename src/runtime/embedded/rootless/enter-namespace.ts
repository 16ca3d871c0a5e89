/**
 * Running a command of a user without root inside that user's namespaces (issue 17). Node is
 * multithreaded and cannot setns into a user namespace, so the CLI runs itself again through
 * `hafen-run userns-join` (same node, same arguments, same working folder and terminal), waits,
 * and exits with its code. Inside, the process is uid 0 with capabilities over the namespaces, so
 * the embedded runtime's paths (overlay mounts, bridges, veths, the launcher) work as for root;
 * the supervisor it starts lives there too. HAFEN_USERNS marks the joined process, so the re-run
 * happens once. Only the CLI may do this (a library's host process must not be replaced).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { RuntimeError, StateFolderError } from '../../../errors.js';
import { hafenRunCommand } from '../launcher/hafen-run-path.js';
import { defaultRoot } from '../store/store-paths.js';
import { useHolderNetwork } from './holder-network.js';
import { ensureNamespaceHolder, stopHolderIfIdle } from './namespace-holder.js';
import { inUserNamespace, isRootless } from './user-namespace.js';
import { userNamespaceRerunAllowed } from './rerun-permission.js';
import { HOST_LOOPBACK_ENV, startHostLoopbackRelay } from './host-loopback-relay.js';
import { userRuntimeDir } from './rootless-paths.js';

/** Set in the environment of the process that joined the holder (its pid). */
export const JOINED_ENV = 'HAFEN_USERNS';

/** True when the embedded runtime must first move into the user's namespaces: a user without root, outside them. */
export function needsUserNamespace(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.platform === 'linux' && !env[JOINED_ENV] && !inUserNamespace() && isRootless();
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

/**
 * Runs this CLI command again inside the user's namespaces (holder started when none runs) and
 * exits with its exit code; afterwards stops the holder when the user has no project left. With
 * `network` (commands that start containers, build or pull), the holder is connected first: the
 * rootless network's keeper (slirp4netns for outbound traffic, published ports) is started when
 * none runs for it.
 */
export async function rerunInUserNamespace(say: (line: string) => void, options: { network?: boolean } = {}): Promise<never> {
  if (!userNamespaceRerunAllowed()) {
    // A library cannot move: Node joins no user namespace once its threads run, and its host process is not ours to replace.
    throw new RuntimeError(
      'user namespace',
      'the embedded runtime for a user without root runs inside the user\'s namespaces, which only the `stack` command enters; from a library, run the `stack` command (e.g. `stack up -d --wait` as a child process), use runtime: docker, or run as root',
    );
  }
  const root = defaultRoot();
  const madeRoot = !fs.existsSync(root);
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 }); // first: a home the user cannot write is one plain line, with no holder made
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new StateFolderError(root, err as NodeJS.ErrnoException);
    throw err;
  }
  // Registered for every command: the one that stops the holder (`down`) stops its keeper too.
  const { rootlessHolderNetwork } = await import('./network-attach.js');
  useHolderNetwork(rootlessHolderNetwork({ say }));
  const holder = await ensureNamespaceHolder({ say, network: options.network ?? false });
  // The host's loopback (a local registry) for the command inside, relayed by this process (host-loopback.ts).
  const relay = await startHostLoopbackRelay(userRuntimeDir()).catch(() => undefined);
  const [cmd, args] = hafenRunCommand(['userns-join', String(holder.pid), '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)]);
  const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, [JOINED_ENV]: String(holder.pid), ...(relay ? { [HOST_LOOPBACK_ENV]: relay.socket } : {}) } });
  // The terminal's ^C reaches the child (same process group); a signal sent to us alone is passed on.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => {
    child.on('error', (err) => {
      say(`error: cannot enter the user namespace: ${err.message}`);
      resolve(125);
    });
    child.on('exit', (status, signal) => resolve(status ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1)));
  });
  relay?.close();
  holder.release(); // before the look for idleness, which would otherwise see this command's claim (it skips its own, too)
  try {
    await stopHolderIfIdle(root);
  } catch (err) {
    say(`warning: the user namespace holder was not stopped: ${(err as Error).message}`);
  }
  // A command refused before it made anything (bad input) leaves no state folder, as for root.
  if (madeRoot) {
    try {
      fs.rmdirSync(root); // only when empty
    } catch {
      // the command made something there: it stays
    }
  }
  process.exit(code);
}
