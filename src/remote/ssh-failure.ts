/**
 * Why an ssh connection to the remote host failed, in the words a user acts on (issue 19): which
 * host, and whether it was the address, the host key, the login, or hafen missing there. Read from
 * what OpenSSH and the remote shell print, which is stable across OpenSSH versions.
 */
import { StackError } from '../errors.js';
import type { SshTarget } from './ssh-target.js';

/** What to install on the remote host: the same version as here. */
export function installHint(version: string): string {
  return `run \`npm install -g hafen@${version}\` there (or set HAFEN_REMOTE_COMMAND to how hafen ${version} runs there)`;
}

/** The error for an ssh process that ended before the agent greeted; `stderr` is what ssh and the remote side printed. */
export function sshFailure(target: SshTarget, code: number | null, stderr: string, localVersion: string): StackError {
  const said = stderr.trim().split('\n').filter((l) => l.trim() !== '' && !/^Warning: Permanently added/.test(l));
  const last = said.slice(-3).join('; ');
  const at = `remote host ${target.url}`;
  const fail = (how: string): StackError => new StackError('E_REMOTE', `${at}: ${how}`, 2);
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr)) {
    return fail(`host key not trusted (${last}); check the host's key and add it to your known_hosts (ssh ${target.host} once)`);
  }
  if (/Permission denied|Too many authentication failures|no matching (key exchange|host key type)/i.test(stderr)) {
    return fail(`ssh login refused (${last}); check the user, your key or agent (ssh-add -l) and the host's authorized_keys`);
  }
  if (/Could not resolve hostname|Connection refused|Connection timed out|No route to host|Network is unreachable|Connection closed by|kex_exchange_identification/i.test(stderr) || code === 255) {
    return fail(`ssh could not connect (${last || `ssh exited with ${code}`})`);
  }
  if (code === 127 || /command not found|No such file or directory|not found/i.test(stderr)) {
    return fail(`hafen is not installed there (${last}); ${installHint(localVersion)}`);
  }
  return fail(`the remote hafen ended before it answered (exit ${code}${last ? `: ${last}` : ''})`);
}
