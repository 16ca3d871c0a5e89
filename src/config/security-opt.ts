/**
 * `security_opt` entries that name files: `seccomp=FILE.json` is resolved against the project
 * folder (as Compose) and read at once, so a missing or bad profile is reported at its key with
 * the profile's own error, before anything runs.
 */
import path from 'node:path';
import type { RawStack } from './raw.js';

/** The profile file an option names (`seccomp=FILE` or `seccomp:FILE`), or undefined. */
function profileFile(option: unknown): { sep: string; file: string } | undefined {
  const m = typeof option === 'string' ? /^seccomp([=:])(.+)$/.exec(option) : null;
  if (!m || m[2] === 'unconfined' || m[2] === 'builtin') return undefined;
  return { sep: m[1]!, file: m[2]! };
}

let checkProfile: ((file: string) => void) | undefined;

/**
 * Loads the profile check (seccomp-profile-check.ts) when a service of `raw` names a profile file;
 * the loader awaits it before normalizing, which is synchronous.
 */
export async function loadSecurityOptChecks(raw: RawStack): Promise<void> {
  const names = Object.values(raw.services ?? {}).some((s) => s?.security_opt?.some((o) => profileFile(o) !== undefined));
  if (names && !checkProfile) checkProfile = (await import('./seccomp-profile-check.js')).checkSeccompProfile;
}

/** The option with a seccomp profile path made absolute and the profile checked; others as given. */
export function securityOptFrom(option: string, dir: string): string {
  const named = profileFile(option);
  if (!named) return option;
  const file = path.resolve(dir, named.file);
  if (!checkProfile) throw new Error('security-opt.ts: loadSecurityOptChecks() was not awaited before normalizing');
  checkProfile(file);
  return `seccomp${named.sep}${file}`;
}
