/**
 * The id maps of a user's namespace (issue 17): the user is uid/gid 0 inside, and its subordinate
 * ids from /etc/subuid and /etc/subgid are 1..N, so image files owned by other ids (uid 1000 inside
 * is host uid <subuid start> + 999) keep their owners. Without newuidmap/newgidmap or without
 * subordinate ids only the user itself is mapped: then every file an image owns by another id
 * cannot be created, and an image layer doing so fails to unpack with the kernel's EINVAL.
 */
import fs from 'node:fs';

/** One line of a map: ids `inside..inside+count-1` are `outside..` on the host. */
export interface IdRange {
  inside: number;
  outside: number;
  count: number;
}

/** The uid and gid maps to give the namespace, and why it is only the user's own id when it is. */
export interface IdMaps {
  uids: IdRange[];
  gids: IdRange[];
  /** Set when only the user's own ids are mapped: one line saying what that limits. */
  limited?: string;
}

/** A user's first subordinate range in the text of /etc/subuid or /etc/subgid (by name or numeric id). */
export function subordinateRange(text: string, user: { name?: string | undefined; id: number }): { start: number; count: number } | undefined {
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || (who !== user.name && who !== String(user.id))) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && c > 0) return { start: s, count: c };
  }
  return undefined;
}

/** What decides the maps; read from the host by `hostIdFacts`. */
export interface IdFacts {
  uid: number;
  gid: number;
  userName?: string | undefined;
  subuid?: string | undefined;
  subgid?: string | undefined;
  /** Whether the setuid helpers newuidmap and newgidmap are on PATH. */
  helpers: boolean;
}

/** The maps for `facts`: full subordinate ranges where possible, else the user's own ids alone. */
export function idMaps(facts: IdFacts): IdMaps {
  const own = { uids: [{ inside: 0, outside: facts.uid, count: 1 }], gids: [{ inside: 0, outside: facts.gid, count: 1 }] };
  const limit = 'files of images owned by any other id cannot be unpacked, and containers can only run as uid 0';
  if (!facts.helpers) return { ...own, limited: `newuidmap/newgidmap are missing (Debian package uidmap): only your own ids are mapped; ${limit}` };
  const su = facts.subuid === undefined ? undefined : subordinateRange(facts.subuid, { name: facts.userName, id: facts.uid });
  const sg = facts.subgid === undefined ? undefined : subordinateRange(facts.subgid, { name: facts.userName, id: facts.uid });
  if (!su || !sg) return { ...own, limited: `${facts.userName ?? facts.uid} has no subordinate ids in /etc/subuid and /etc/subgid: only your own ids are mapped; ${limit}` };
  return {
    uids: [...own.uids, { inside: 1, outside: su.start, count: su.count }],
    gids: [...own.gids, { inside: 1, outside: sg.start, count: sg.count }],
  };
}

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function onPath(program: string, envPath: string | undefined): boolean {
  return (envPath ?? '/usr/bin:/bin').split(':').some((dir) => {
    try {
      fs.accessSync(`${dir}/${program}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** This user's facts, read from /etc/passwd, /etc/subuid, /etc/subgid and PATH. */
export function hostIdFacts(uid: number, gid: number, env: NodeJS.ProcessEnv = process.env): IdFacts {
  const passwd = readOr('/etc/passwd') ?? '';
  const userName = passwd.split('\n').find((l) => l.split(':')[2] === String(uid))?.split(':')[0] ?? env.USER;
  return {
    uid,
    gid,
    userName,
    subuid: readOr('/etc/subuid'),
    subgid: readOr('/etc/subgid'),
    helpers: onPath('newuidmap', env.PATH) && onPath('newgidmap', env.PATH),
  };
}
