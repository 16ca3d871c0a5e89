/**
 * Whether this process runs as the host's root or as an ordinary user (issue 17), read from
 * /proc/self/uid_map rather than getuid(): inside hafen's user namespace a user's process is uid 0
 * and holds capabilities, yet stays that user on the host, so it must keep the user's folders and
 * cannot create cgroups or write /var/lib/hafen.
 */
import fs from 'node:fs';

/** The initial user namespace maps every id to itself: `0 0 4294967295`. */
const INITIAL_MAP = /^\s*0\s+0\s+4294967295\s*$/;

/** The text of a uid_map (injectable for tests). */
export type MapReader = () => string | undefined;

// Read once: a process's map is fixed once written (Node never unshares), and isRootless() is asked
// on every container start.
let ownMap: { text: string | undefined } | undefined;
const readOwnMap: MapReader = () => {
  ownMap ??= { text: readMapFile() };
  return ownMap.text;
};

function readMapFile(): string | undefined {
  try {
    return fs.readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    return undefined; // not Linux, or no /proc: no user namespace hafen made
  }
}

/** True inside a user namespace other than the host's (hafen's rootless one, or any other). */
export function inUserNamespace(read: MapReader = readOwnMap): boolean {
  const text = read();
  if (text === undefined) return false;
  const first = text.split('\n').find((line) => line.trim() !== '');
  return first !== undefined && !INITIAL_MAP.test(first);
}

/**
 * The uid this process has on the host: getuid() outside a user namespace; inside, the host id
 * that the namespace's uid 0 stands for (hafen maps the user to 0).
 */
export function hostUid(read: MapReader = readOwnMap, uid: number | undefined = process.getuid?.()): number | undefined {
  const text = read();
  if (text === undefined || !inUserNamespace(() => text)) return uid;
  for (const line of text.split('\n')) {
    const [inside, outside, count] = line.trim().split(/\s+/).map(Number);
    if (uid !== undefined && inside !== undefined && outside !== undefined && count !== undefined && uid >= inside && uid < inside + count) return outside + (uid - inside);
  }
  return undefined;
}

/** True when hafen runs for a user without root: the host uid is not 0 (inside hafen's namespace too). */
export function isRootless(read: MapReader = readOwnMap, uid: number | undefined = process.getuid?.()): boolean {
  return hostUid(read, uid) !== 0;
}
