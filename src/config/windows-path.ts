/**
 * Windows paths in a stack file. Compose keeps a Windows absolute path (`C:\data`, `c:/data`,
 * `\\server\share`) as written instead of joining it to the project folder, so a file written on
 * Windows means the same on a Windows Docker engine (compose-go paths/unix.go maybeUnixPath, with
 * IsWindowsAbs from paths/windows_path.go; used for bind mount sources, secrets' and configs' file,
 * build.ssh). On Linux such a path does not exist; hafen says so when it would be used.
 */

/** A drive letter and a separator (`C:\`, `c:/`), or two leading separators (`\\server\share`, `\\?\C:\`). */
export function isWindowsAbsolutePath(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || /^[\\/][\\/]/.test(p) || /^\\\?\?\\/.test(p);
}

/** A mount source Compose takes for a host path on Windows: `\\…` or a drive letter (`C:data` too). */
export function isWindowsHostPath(p: string): boolean {
  return p.startsWith('\\\\') || /^\p{L}:/u.test(p);
}
