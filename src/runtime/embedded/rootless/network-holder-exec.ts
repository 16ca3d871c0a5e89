/**
 * Running a command inside the rootless holder's user and network namespaces, from the host side,
 * as the user who owns them. `nsenter --preserve-credentials` keeps the caller's uid, which the
 * holder's mapping shows as root inside (0 → the user's uid), so the command has the namespace's
 * capabilities (CAP_NET_ADMIN for ip/iptables) without setgroups, which a mapping made with
 * `setgroups deny` refuses. The mount namespace is not entered: /proc/sys/net, read or written by a
 * process in the network namespace, is that namespace's whatever /proc is mounted.
 */
import { spawn } from 'node:child_process';

/** The argv that runs `argv` in the user and network namespaces of process `holderPid`. */
export function holderNetArgv(holderPid: number, argv: readonly string[]): string[] {
  return ['nsenter', '--user', '--net', '--preserve-credentials', `--target=${holderPid}`, '--', ...argv];
}

/** How a command ended; `code` null when it could not run at all. */
export interface HolderRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` with the system folders on PATH: a user's PATH often lacks /usr/sbin, where iptables is. */
export function withSbin(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const dirs = (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':');
  for (const d of ['/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
  return { ...env, PATH: dirs.join(':') };
}

/** Runs `argv` in the holder's namespaces; never throws. */
export function runInHolder(holderPid: number, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<HolderRunResult> {
  const [cmd, ...args] = holderNetArgv(holderPid, argv) as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: withSbin(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${cmd}: ${err.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.trim() }));
  });
}
