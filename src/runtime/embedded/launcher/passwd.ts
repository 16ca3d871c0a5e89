/**
 * `user: name|uid[:group|gid]` resolved against the image's /etc/passwd and /etc/group, by Docker's
 * rules: a numeric uid passes through (gid 0 unless passwd knows it), an unknown name is an error,
 * supplementary groups are the primary one plus, when no group is named, those listing the user. Parsing and resolving are pure; reading the
 * files follows symlinks inside the rootfs only.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../../../errors.js';
import type { UserSpec } from './spec.js';

/** One line of /etc/passwd. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** One line of /etc/group. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** A resolved user, with the home directory Docker sets HOME to. */
export interface ResolvedUser extends UserSpec {
  groups: number[];
  home: string;
}

const isId = (s: string) => /^\d+$/.test(s);

function lines(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Parses /etc/passwd; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap(([name, , uid, gid, , home, shell]) =>
    name && uid !== undefined && gid !== undefined && isId(uid) && isId(gid)
      ? [{ name, uid: Number(uid), gid: Number(gid), home: home || '/', shell: shell ?? '' }]
      : [],
  );
}

/** Parses /etc/group. */
export function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap(([name, , gid, members]) =>
    name && gid !== undefined && isId(gid) ? [{ name, gid: Number(gid), members: members ? members.split(',').filter(Boolean) : [] }] : [],
  );
}

/** Resolves a `user[:group]` string (empty: root) against parsed passwd and group entries. */
export function resolveUser(user: string, passwd: readonly PasswdEntry[], groups: readonly GroupEntry[]): ResolvedUser {
  const [userPart = '', groupPart, ...extra] = user.split(':');
  if (extra.length) throw new RuntimeError('user', `bad user ${JSON.stringify(user)}: expected name|uid[:group|gid]`);
  const spec = userPart || '0';
  const entry = isId(spec) ? passwd.find((p) => p.uid === Number(spec)) : passwd.find((p) => p.name === spec);
  if (!entry && !isId(spec)) throw new RuntimeError('user', `unable to find user ${spec}: no matching entries in the image's /etc/passwd`);
  const uid = entry?.uid ?? Number(spec);
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const g = isId(groupPart) ? undefined : groups.find((x) => x.name === groupPart);
    if (!isId(groupPart) && !g) throw new RuntimeError('user', `unable to find group ${groupPart}: no matching entries in the image's /etc/group`);
    gid = g ? g.gid : Number(groupPart);
  }
  // As runc under Docker: the primary group is always a supplementary one too; the groups listing
  // the user join it only when no group was named (`app:staff` is in staff alone).
  const named = groupPart !== undefined && groupPart !== '';
  const member = entry && !named ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return { uid, gid, groups: [...new Set([gid, ...member])], home: entry?.home ?? '/' };
}

/**
 * The host path of `file` inside `root`, following symlinks as the container would see them
 * (absolute links rooted at `root`, `..` stopping at it); undefined when it does not exist.
 */
export async function resolveInRoot(root: string, file: string): Promise<string | undefined> {
  const pending = file.split('/').filter(Boolean);
  const done: string[] = [];
  for (let links = 0; pending.length; ) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, part);
    const st = await fs.lstat(host).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > 40) return undefined;
    const target = await fs.readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return path.join(root, ...done);
}

/** Reads a file of the image: from the first of `roots` (layer dirs, top-most first) that has it. */
async function readInRoots(roots: readonly string[], file: string): Promise<string> {
  for (const root of roots) {
    const host = await resolveInRoot(root, file);
    if (!host) continue;
    const st = await fs.stat(host);
    if (st.isCharacterDevice() && st.rdev === 0) return ''; // an overlay whiteout: deleted in this layer
    if (st.isFile()) return fs.readFile(host, 'utf8');
  }
  return '';
}

/** Resolves `user` against the image's files; `roots` is the rootfs dir or its layers, top-most first. */
export async function resolveUserInRootfs(roots: string | readonly string[], user: string): Promise<ResolvedUser> {
  const list = typeof roots === 'string' ? [roots] : roots;
  const [passwd, group] = await Promise.all([readInRoots(list, '/etc/passwd'), readInRoots(list, '/etc/group')]);
  return resolveUser(user, parsePasswd(passwd), parseGroup(group));
}
