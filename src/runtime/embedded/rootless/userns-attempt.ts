/**
 * Whether a user namespace can really be made by this process (issue 19's remote side): the
 * kernel's switches (userns-probe.ts) do not tell everything. A seccomp filter, an LSM profile or
 * the count limit of an enclosing user namespace (whose own user.max_user_namespaces reads as
 * unlimited inside) refuse too, and only trying says so. It costs one short-lived `unshare`
 * process, so it is asked where a refusal must be clear before anything is made (the remote
 * agent's first answer), not on every local command.
 */
import { spawnSync } from 'node:child_process';

/** Why making a user namespace fails here (util-linux's `unshare --user` tried), or undefined when it works or cannot be tried. */
export function userNamespaceRefused(unshare = 'unshare'): string | undefined {
  const r = spawnSync(unshare, ['--user', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return undefined; // no unshare here: the runtime's own steps will say what fails
  if (r.status === 0) return undefined;
  const said = r.stderr.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? `exit ${r.status ?? r.signal}`;
  return `making a user namespace fails (${said.replace(/^unshare: /, 'unshare --user: ')})`;
}
