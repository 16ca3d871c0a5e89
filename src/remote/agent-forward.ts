/**
 * An SSH agent of this machine lent to a build on the remote host (issue 19), as `ssh -A` lends it:
 * an ssh session of its own with agent forwarding (its SSH_AUTH_SOCK set to the agent asked for)
 * runs `hafen system agent-socket` there, which says the socket sshd made for it and holds the
 * session until this side closes it; the build's RUN steps that mount the agent get that socket.
 * The agent is reachable there only while the build runs (sshd removes the socket with the session),
 * and only by that host's root and the login user, as with any forwarded agent.
 */
import { spawn } from 'node:child_process';
import { StackError } from '../errors.js';
import { jsonLines } from '../supervisor/line-requests.js';
import { version } from '../version.js';
import { sshFailure } from './ssh-failure.js';
import { remoteCommand, sshArgv, type SshTarget } from './ssh-target.js';

/** A forwarded agent: its socket on the remote host, until `close`. */
export interface ForwardedAgent {
  path: string;
  close(): Promise<void>;
}

/** Forwards the agent listening on `socket` (a path here) to `target` for build.ssh entry `id`. */
export function forwardAgent(target: SshTarget, id: string, socket: string): Promise<ForwardedAgent> {
  const argv = sshArgv(target, ['-A', '-T'], `${remoteCommand()} system agent-socket`);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SSH_AUTH_SOCK: socket } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-8192)));
  child.stdin.on('error', () => {});
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGTERM'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<ForwardedAgent>((resolve, reject) => {
    child.once('error', (err) => reject(new StackError('E_REMOTE', `remote host ${target.url}: cannot run ${argv[0]}: ${err.message}`, 2)));
    child.once('exit', (code) => setTimeout(() => reject(sshFailure(target, code, stderr, version)), 50));
    child.stdout.on(
      'data',
      jsonLines<{ socket?: string }>((m) => {
        if (typeof m.socket !== 'string') return;
        if (m.socket !== '') return resolve({ path: m.socket, close });
        void close();
        reject(new StackError('E_REMOTE', `remote host ${target.url}: its sshd does not forward the SSH agent of build.ssh "${id}" (AllowAgentForwarding no there?); build without it, or allow agent forwarding`, 2));
      }),
    );
  });
}

/** The remote end: says the forwarded agent's socket (empty when sshd made none), then holds the session until its stdin ends. */
export async function serveAgentSocket(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<void> {
  output.write(`${JSON.stringify({ socket: process.env.SSH_AUTH_SOCK ?? '' })}\n`);
  input.resume();
  await new Promise<void>((resolve) => {
    input.once('end', resolve);
    input.once('close', resolve);
    input.once('error', () => resolve());
  });
}
