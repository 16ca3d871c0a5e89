/**
 * Runs iproute2's `ip`: a batch of commands in one process, on the host or inside a container's
 * network namespace (through util-linux's `nsenter`, so no named netns bind mount is ever made).
 */
import { spawn } from 'node:child_process';
import { RuntimeError } from '../../../errors.js';

/** A network namespace: the one of a process (its `/proc/PID/ns/net`), or a namespace file. */
export type NetnsRef = { pid: number } | { netnsPath: string };

/** The file of a network namespace. */
export function netnsFile(ref: NetnsRef): string {
  return 'pid' in ref ? `/proc/${ref.pid}/ns/net` : ref.netnsPath;
}

/** How a run of `ip` ended. */
export interface IpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (the command first) feeding `input` on stdin; never throws (a missing tool is code null). */
function run(argv: string[], input?: string): Promise<IpResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv as [string, ...string[]];
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: `${cmd}: ${err.message}` }));
    child.on('close', (code) => resolve({ code, stdout, stderr: stderr.trim() }));
    if (input !== undefined) {
      child.stdin!.on('error', () => {}); // EPIPE when ip exits early; its stderr says why.
      child.stdin!.end(input);
    }
  });
}

/** Options of one batch. */
export interface IpBatchOptions {
  /** Run inside this network namespace (a file such as /proc/PID/ns/net) instead of the host's. */
  netns?: string;
  /** Go on past failing lines (`ip -force`); the result's code says whether any failed. */
  force?: boolean;
}

/** Runs `ip -batch -` with `lines`, one command each; returns how it ended, never throws. */
export function ipBatchResult(lines: string[], options: IpBatchOptions = {}): Promise<IpResult> {
  const ip = ['ip', ...(options.force ? ['-force'] : []), '-batch', '-'];
  const argv = options.netns ? ['nsenter', `--net=${options.netns}`, ...ip] : ip;
  return run(argv, lines.map((l) => `${l}\n`).join(''));
}

/** Runs `ip -batch -` with `lines`; throws a RuntimeError naming `resource` and ip's complaint. */
export async function ipBatch(resource: string, lines: string[], options: IpBatchOptions = {}): Promise<void> {
  if (lines.length === 0) return;
  const r = await ipBatchResult(lines, options);
  if (r.code !== 0) {
    const where = options.netns ? ` in ${options.netns}` : '';
    throw new RuntimeError(resource, `ip failed${where}: ${r.stderr || `exit code ${r.code}`}\n  ${lines.join('\n  ')}`);
  }
}

/** Runs `ip -j ARGS…` on the host and parses its JSON output. */
export async function ipJson(args: string[]): Promise<unknown> {
  const r = await run(['ip', '-j', ...args]);
  if (r.code !== 0) throw new RuntimeError(`ip ${args.join(' ')}`, r.stderr || `exit code ${r.code}`);
  return JSON.parse(r.stdout || '[]') as unknown;
}
