/** Host paths sent to the supervisor, whose working folder is not the caller's. */
import path from 'node:path';

/**
 * `p` made absolute against this process's working folder, keeping a trailing `/` or `/.` (they
 * mean something to a copy: "a folder", "its contents").
 */
export function absoluteHostPath(p: string, cwd = process.cwd()): string {
  if (path.isAbsolute(p)) return p;
  const tail = p === '.' || p.endsWith('/.') ? '/.' : p.endsWith('/') ? '/' : '';
  const abs = path.resolve(cwd, p);
  return tail && abs !== '/' ? `${abs}${tail}` : abs;
}
