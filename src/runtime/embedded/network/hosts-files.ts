/**
 * Writes the name files of containers. The launcher bind-mounts each container's hosts FILE over its
 * /etc/hosts, and a bind mount holds the inode, not the name: so a file is rewritten in place (new
 * text written over the old, then cut to length), never replaced by a rename, which the container
 * would not see.
 */
import fs from 'node:fs';
import { renderHostname, renderHosts, renderResolvConf, type HostsMember } from './hosts.js';

/**
 * Writes `text` into `file` keeping its inode (created 0644 when missing); returns false when it held
 * `text` already. The new text is written before the file is cut, so a reader never sees it empty.
 */
export function writeInPlace(file: string, text: string): boolean {
  const data = Buffer.from(text);
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  try {
    const size = fs.fstatSync(fd).size;
    if (size === data.length) {
      const old = Buffer.alloc(size);
      fs.readSync(fd, old, 0, size, 0);
      if (old.equals(data)) return false;
    }
    fs.writeSync(fd, data, 0, data.length, 0);
    if (size > data.length) fs.ftruncateSync(fd, data.length);
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a container's name files are on the host (see state/project-paths.ts ContainerPaths). */
export interface NameFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

/** Writes all three name files of a container that is about to start (`resolvConf`: its text, default the generated one). */
export function writeNameFiles(files: NameFiles, self: HostsMember, members: readonly HostsMember[], resolvConf = renderResolvConf()): void {
  writeInPlace(files.hosts, renderHosts(self, members));
  writeInPlace(files.hostname, renderHostname(self.hostname));
  writeInPlace(files.resolvConf, resolvConf);
}

/**
 * writeNameFiles for a container just created (nothing runs in it, so nothing reads them yet):
 * the three files written at once, off the event loop (issue 16).
 */
export async function writeNewNameFiles(files: NameFiles, self: HostsMember, members: readonly HostsMember[], resolvConf = renderResolvConf()): Promise<void> {
  await Promise.all([
    fs.promises.writeFile(files.hosts, renderHosts(self, members), { mode: 0o644 }),
    fs.promises.writeFile(files.hostname, renderHostname(self.hostname), { mode: 0o644 }),
    fs.promises.writeFile(files.resolvConf, resolvConf, { mode: 0o644 }),
  ]);
}

/** A container whose /etc/hosts is kept up to date, and where that file is. */
export interface HostsTarget {
  member: HostsMember;
  hostsFile: string;
}

/**
 * Rewrites the hosts files of the containers on `networks` (all, when omitted), given every container
 * up now; call when one joins or leaves (for a leave: without it, with its networks). A container
 * started early so learns the names of those started after it. Returns the containers whose file changed.
 */
export function updateHosts(targets: readonly HostsTarget[], networks?: readonly string[]): string[] {
  const members = targets.map((t) => t.member);
  const changed: string[] = [];
  for (const t of targets) {
    if (networks && !t.member.networks.some((n) => networks.includes(n.network))) continue;
    try {
      if (writeInPlace(t.hostsFile, renderHosts(t.member, members))) changed.push(t.member.container);
    } catch (err) {
      // A container removed meanwhile has no folder left to write into.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return changed;
}
