/**
 * The check of a `security_opt: seccomp=FILE` profile (security-opt.ts): read, parsed, and compiled
 * for this machine to see that the container's init can still run. Loaded only for stacks that name
 * such a file: the compiler and its syscall tables are 70 KB of code every other command would parse.
 */
import { SeccompProfileError } from '../seccomp/docker-profile.js';
import { profileRefusesInit, readSeccompProfileFile } from '../seccomp/container-filter.js';
import { ValueError } from './issues.js';

/** Throws a ValueError (the profile's own error, naming the file) when `file` cannot serve as a container's profile. */
export function checkSeccompProfile(file: string): void {
  try {
    const refused = profileRefusesInit(readSeccompProfileFile(file).profile);
    if (refused.length > 0) throw new SeccompProfileError(`seccomp profile ${file} refuses ${refused.join(', ')}, which the container's init needs (as any PID 1 does); allow them`);
  } catch (err) {
    if (err instanceof SeccompProfileError) throw new ValueError(err.message);
    throw err;
  }
}
