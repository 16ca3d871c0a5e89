/**
 * `stack exec` on a remote host (issue 19): the command's stdio is the user's terminal, so it runs
 * over an ssh session of its own, with a terminal (`ssh -t`) when one is asked for and stdin is
 * one; the remote `hafen system exec-attach` runs it in the container there and exits with its code.
 * An attached `stack run` goes the same way (`hafen system run-attach` starts the created container
 * there with the session's stdio).
 */
import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from '../runtime/runtime.js';
import { remoteCommand, shellWord, sshArgv, type SshTarget } from './ssh-target.js';

/** The options as one word for the remote command line (no secret travels here: what the user typed to `exec`). */
export function encodeExec(opts: ExecOptions): string {
  const { interactive: _i, ...rest } = opts;
  return Buffer.from(JSON.stringify(rest)).toString('base64url');
}

/** Reverses encodeExec. */
export function decodeExec(word: string): ExecOptions {
  return JSON.parse(Buffer.from(word, 'base64url').toString('utf8')) as ExecOptions;
}

/** Runs `opts.command` in container `name` of `project` on `target`, attached to this process's stdio. */
export async function interactiveExec(target: SshTarget, project: string, name: string, opts: ExecOptions): Promise<ExecResult> {
  const exitCode = await attachedSession(target, ['exec-attach', '--project', project, '--container', name, '--spec', encodeExec(opts)], opts.tty === true);
  return { exitCode, stdout: '', stderr: '' };
}

/** Starts the created container `name` of `project` on `target` with this process's stdio attached (its terminal when `tty`); resolves with its exit code. */
export function attachedRun(target: SshTarget, project: string, name: string, tty: boolean): Promise<number> {
  return attachedSession(target, ['run-attach', '--project', project, '--container', name], tty);
}

/** `ssh [-t] host hafen system ARGS…` with this process's stdio; a terminal there when `tty` and stdin is one here. */
function attachedSession(target: SshTarget, args: string[], tty: boolean): Promise<number> {
  const command = [remoteCommand(), 'system', ...args.map(shellWord)].join(' ');
  const argv = sshArgv(target, [tty && process.stdin.isTTY ? '-t' : '-T', '-q'], command);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}
