/**
 * Typed access to hafen's native addon (native/hafen.c, prebuilt in the package; see native-files.ts):
 * the system calls image layers need and Node lacks, and bpf(2) for the cgroup v2 device filter.
 * Loaded on first use, so code paths that never touch layers or cgroups (the Docker runtime,
 * macOS) work without it.
 */
import { createRequire } from 'node:module';
import { RuntimeError } from '../../errors.js';
import { embeddedUnavailable, nativeFile } from './native-files.js';

interface Addon {
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  attachDeviceProgram(cgroupDir: string, insns: Buffer): void;
  redirectOutput(file: string): void;
  // Launchers started by posix_spawn (native/hafen-spawn.c; launcher/quick-spawn.ts):
  spawnPiped(file: string, argv: readonly string[], fds: readonly ChildFd[], detached: boolean): { pid: number; fds: (number | null)[] };
  reap(pid: number): { code: number | null; signal: number | null } | null;
}

/** What a child started by spawnPiped gets as one descriptor (see native/hafen-spawn.c). */
export type ChildFd = null | 'null' | 'socket' | 'read' | Buffer;

let addon: Addon | undefined;

function load(): Addon {
  if (addon) return addon;
  const file = nativeFile('hafen.node');
  if (!file) throw new RuntimeError('native addon', embeddedUnavailable() ?? 'hafen.node is missing from this installation; `npm run build:native` builds it');
  try {
    addon = createRequire(import.meta.url)(file) as Addon;
  } catch (err) {
    throw new RuntimeError('native addon', `cannot load ${file}: ${(err as Error).message}; \`npm run build:native\` builds it for this machine`, {
      cause: err,
    });
  }
  return addon;
}

/** mknod(2): `mode` carries the type bits (fs.constants.S_IFCHR, S_IFBLK, S_IFIFO) and the permissions. */
export function mknod(file: string, mode: number, major: number, minor: number): void {
  load().mknod(file, mode, major, minor);
}

/** lsetxattr(2): sets an extended attribute on `file` itself, never on what a symlink points to. */
export function lsetxattr(file: string, name: string, value: Buffer): void {
  load().lsetxattr(file, name, value);
}

/** lgetxattr(2): the attribute's value, or null when `file` does not carry it. */
export function lgetxattr(file: string, name: string): Buffer | null {
  return load().lgetxattr(file, name);
}

/** llistxattr(2): the names of `file`'s extended attributes (of the link itself). */
export function llistxattr(file: string): string[] {
  return load().llistxattr(file);
}

/** Loads `insns` (encoded eBPF) as a cgroup device program and attaches it to the cgroup v2 directory `cgroupDir`. */
export function attachDeviceProgram(cgroupDir: string, insns: Buffer): void {
  load().attachDeviceProgram(cgroupDir, insns);
}

/** Makes `file` (appended to, 0600 when new) this process's stdout and stderr, at the descriptor level. */
export function redirectOutput(file: string): void {
  load().redirectOutput(file);
}

/**
 * posix_spawn(3) of `file` (the caller's event loop is not held while a fork copies it): `fds[i]`
 * is what the child gets as descriptor i; the result holds the caller's ends (close-on-exec).
 */
export function spawnPiped(file: string, argv: readonly string[], fds: readonly ChildFd[], detached: boolean): { pid: number; fds: (number | null)[] } {
  return load().spawnPiped(file, argv, fds, detached);
}

/** waitpid(pid, WNOHANG) for a child of spawnPiped: null while it runs, else how it ended. */
export function reap(pid: number): { code: number | null; signal: number | null } | null {
  return load().reap(pid);
}

/** Whether the addon loads here (a fallback is taken where it does not). */
export function nativeAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}
