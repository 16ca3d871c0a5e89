/**
 * Where a remote embedded runtime lives (issue 19): `HAFEN_HOST=ssh://user@host[:port]` or `--host`,
 * and the `ssh` command line that reaches it. The user's own OpenSSH client does the connecting, so
 * their ~/.ssh/config, keys, agent and ControlMaster settings apply; HAFEN_SSH_COMMAND replaces the
 * `ssh` program (words split on spaces, like GIT_SSH_COMMAND), HAFEN_REMOTE_COMMAND the `hafen`
 * run on the other side (default: `hafen`, found on the remote PATH).
 */
import { UsageError } from '../errors.js';

/** A parsed `ssh://` address. */
export interface SshTarget {
  /** As given, for messages: `ssh://root@vm:2222`. */
  readonly url: string;
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

/** Parses `ssh://[user@]host[:port]`; anything else is a usage error naming where it came from. */
export function parseSshTarget(value: string, from = 'HAFEN_HOST'): SshTarget {
  const m = /^ssh:\/\/(?:([^@/:\s]+)@)?(\[[0-9a-fA-F:]+\]|[^@/:\s[\]]+)(?::(\d+))?\/?$/.exec(value);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m || (port !== undefined && (port < 1 || port > 65535))) {
    throw new UsageError(`${from}=${value}: expected ssh://[user@]host[:port] (the embedded runtime on another Linux host over ssh)`);
  }
  const host = m[2]!.replace(/^\[(.*)\]$/, '$1');
  return { url: value, host, ...(m[1] ? { user: m[1] } : {}), ...(port !== undefined ? { port } : {}) };
}

/** The remote host asked for (`--host` sets HAFEN_HOST), or undefined for this machine. */
export function remoteTarget(env: NodeJS.ProcessEnv = process.env): SshTarget | undefined {
  const value = env.HAFEN_HOST;
  if (value === undefined || value === '') return undefined;
  return parseSshTarget(value);
}

/** The ssh program and its own options (HAFEN_SSH_COMMAND, default `ssh`). */
export function sshProgram(env: NodeJS.ProcessEnv = process.env): string[] {
  const words = (env.HAFEN_SSH_COMMAND ?? '').split(/\s+/).filter((w) => w !== '');
  return words.length > 0 ? words : ['ssh'];
}

/** The command run on the remote host, as shell words (HAFEN_REMOTE_COMMAND, default `hafen`). */
export function remoteCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.HAFEN_REMOTE_COMMAND?.trim() || 'hafen';
}

/** `ssh OPTIONS [-p PORT] [user@]host -- COMMAND`: argv for spawn; `options` go before the host. */
export function sshArgv(target: SshTarget, options: readonly string[], command: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const [program, ...own] = sshProgram(env);
  const destination = target.user ? `${target.user}@${target.host}` : target.host;
  return [program!, ...own, ...options, ...(target.port !== undefined ? ['-p', String(target.port)] : []), destination, ...(command !== undefined ? ['--', command] : [])];
}

/** Quotes one word for the remote shell. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Whether a command line (before it is parsed) or the environment asks for a remote host: the CLI's early steps then leave this machine's runtime alone. */
export function remoteAsked(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.HAFEN_HOST) || argv.some((a) => a === '--host' || a.startsWith('--host='));
}
