/**
 * `security_opt` entries that name files: `seccomp=FILE.json` is resolved against the project
 * folder (as Compose) and read at once, so a missing or bad profile is reported at its key with
 * the profile's own error, before anything runs.
 */
import path from 'node:path';
import { SeccompProfileError } from '../seccomp/docker-profile.js';
import { profileRefusesInit, readSeccompProfileFile } from '../seccomp/container-filter.js';
import { ValueError } from './issues.js';

/** The option with a seccomp profile path made absolute and the profile checked; others as given. */
export function securityOptFrom(option: string, dir: string): string {
  const m = /^seccomp([=:])(.+)$/.exec(option);
  if (!m || m[2] === 'unconfined' || m[2] === 'builtin') return option;
  const file = path.resolve(dir, m[2]!);
  try {
    const refused = profileRefusesInit(readSeccompProfileFile(file).profile);
    if (refused.length > 0) throw new SeccompProfileError(`seccomp profile ${file} refuses ${refused.join(', ')}, which the container's init needs (as any PID 1 does); allow them`);
  } catch (err) {
    if (err instanceof SeccompProfileError) throw new ValueError(err.message);
    throw err;
  }
  return `seccomp${m[1]}${file}`;
}
