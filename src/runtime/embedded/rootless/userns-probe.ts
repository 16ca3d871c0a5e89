/**
 * Whether a user without root may make user namespaces here (issue 17), read cheaply from the
 * kernel's switches (no namespace is made): the embedded runtime is chosen for such a user only
 * when none of them says no.
 */
import fs from 'node:fs';

/** A switch and the value that turns unprivileged user namespaces off. */
const SWITCHES: readonly { file: string; off: (value: string) => boolean; why: string }[] = [
  { file: '/proc/sys/user/max_user_namespaces', off: (v) => v === '0', why: 'user namespaces are disabled (user.max_user_namespaces = 0)' },
  { file: '/proc/sys/kernel/unprivileged_userns_clone', off: (v) => v === '0', why: 'unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)' },
  {
    file: '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
    off: (v) => v === '1',
    why: 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)',
  },
];

/** Why user namespaces cannot be used by this user, or undefined when nothing forbids them. */
export function userNamespacesUnavailable(read: (file: string) => string | undefined = readTrimmed): string | undefined {
  if (!fs.existsSync('/proc/self/ns/user')) return 'the kernel has no user namespaces';
  for (const s of SWITCHES) {
    const value = read(s.file);
    if (value !== undefined && s.off(value)) return s.why;
  }
  return undefined;
}

function readTrimmed(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
