/**
 * `group_add`: extra groups of the container's user, by number or by name in the image's
 * /etc/group (as Docker resolves them: a name missing from the image is an error).
 */
import fs from 'node:fs/promises';
import { RuntimeError } from '../../../errors.js';
import { parseGroup, resolveInRoot, type GroupEntry } from './passwd.js';

/** The gids of `names` (numbers as is, names looked up in `groups`). */
export function groupIds(names: readonly string[], groups: readonly GroupEntry[]): number[] {
  return names.map((name) => {
    if (/^\d+$/.test(name)) return Number(name);
    const g = groups.find((x) => x.name === name);
    if (!g) throw new RuntimeError('group_add', `unable to find group ${name}: no matching entries in the image's /etc/group`);
    return g.gid;
  });
}

/** The gids of `names` in the image whose layer dirs (top-most first) are `roots`. */
export async function groupIdsInRootfs(roots: readonly string[], names: readonly string[]): Promise<number[]> {
  if (names.every((n) => /^\d+$/.test(n))) return groupIds(names, []);
  for (const root of roots) {
    const file = await resolveInRoot(root, '/etc/group');
    if (!file) continue;
    const st = await fs.stat(file);
    if (st.isCharacterDevice() && st.rdev === 0) break; // deleted in this layer
    if (st.isFile()) return groupIds(names, parseGroup(await fs.readFile(file, 'utf8')));
  }
  return groupIds(names, []);
}
