/**
 * `USER` and `--chown` values to numeric ids, read from the image's own /etc/passwd and
 * /etc/group (never the host's), with Docker's rules: a numeric user needs no passwd entry (its
 * group is then 0, or its passwd entry's group), a name must exist, `user:group` sets both.
 */
import type { LayeredView } from './layered-view.js';

/** Numeric ids a process runs with or a file is owned by. */
export interface Owner {
  uid: number;
  gid: number;
  /** Supplementary groups (from /etc/group membership); only for processes. */
  groups?: number[];
  /** The home folder from /etc/passwd ('/' when unknown); only for processes. */
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Why a user or group could not be resolved; the caller pins it to a step. */
export class UserLookupError extends Error {}

const isNumber = (s: string) => /^\d+$/.test(s);

function readPasswd(view: LayeredView): PasswdEntry[] {
  return (view.readFile('/etc/passwd') ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || !isNumber(f[2]!) || !isNumber(f[3]!)) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }];
  });
}

function readGroup(view: LayeredView): GroupEntry[] {
  return (view.readFile('/etc/group') ?? '').split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 3 || !isNumber(f[2]!)) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }];
  });
}

/**
 * Resolves `user[:group]` ('' = root) in the image `view`. With `withGroups`, the user's
 * supplementary groups are listed too (as a RUN process gets them).
 */
export function resolveOwner(spec: string, view: LayeredView, withGroups = false): Owner {
  if (spec === '' && !withGroups) return { uid: 0, gid: 0 };
  if (spec === '') spec = '0';
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);
  let passwd: PasswdEntry[] | undefined;
  let groups: GroupEntry[] | undefined;
  const users = () => (passwd ??= readPasswd(view));
  const groupList = () => (groups ??= readGroup(view));

  let uid: number;
  let gid = 0;
  let name: string | undefined;
  let home = '/';
  if (isNumber(userPart)) {
    uid = Number(userPart);
    const entry = users().find((u) => u.uid === uid);
    if (entry) ({ gid, name, home } = entry);
  } else {
    const entry = users().find((u) => u.name === userPart);
    if (!entry) throw new UserLookupError(`unable to find user ${userPart}: no matching entries in passwd file`);
    ({ uid, gid, name, home } = entry);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (isNumber(groupPart)) gid = Number(groupPart);
    else {
      const entry = groupList().find((g) => g.name === groupPart);
      if (!entry) throw new UserLookupError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = entry.gid;
    }
  }
  if (!withGroups) return { uid, gid };
  const extra = name === undefined || groupPart ? [] : groupList().filter((g) => g.members.includes(name!) && g.gid !== gid).map((g) => g.gid);
  return { uid, gid, groups: [...new Set(extra)], home };
}
