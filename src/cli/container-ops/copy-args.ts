/**
 * `stack cp`'s two arguments, read as the docker CLI reads them (pure): `SERVICE:PATH` names a path
 * in a service's container, anything else (an absolute path, or one with no colon) is on this host.
 * A host path with a colon is written `./a:b`.
 */
import { UsageError } from '../../errors.js';

/** Which way a copy goes, the service and the two paths. */
export interface CopyArgs {
  direction: 'from-container' | 'to-container';
  service: string;
  /** The path in the container. */
  containerPath: string;
  /** The path on this host. */
  hostPath: string;
}

/** `{service, path}` when `arg` names a container path, else undefined. */
function containerRef(arg: string): { service: string; path: string } | undefined {
  if (arg.startsWith('/') || arg.startsWith('.')) return undefined;
  const colon = arg.indexOf(':');
  if (colon < 0) return undefined;
  return { service: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** Reads `SRC DEST`; throws a UsageError naming what is wrong. */
export function parseCopyArgs(src: string, dest: string): CopyArgs {
  if (src === '') throw new UsageError('cp: the source is empty');
  if (dest === '') throw new UsageError('cp: the destination is empty');
  if (src === '-' || dest === '-') throw new UsageError('cp: tar streams on stdin/stdout ("-") are not supported; give a path');
  const from = containerRef(src);
  const to = containerRef(dest);
  if (from && to) throw new UsageError(`cp: copying between containers is not supported (${src} -> ${dest}); copy to this host first`);
  const ref = from ?? to;
  if (!ref) throw new UsageError(`cp: one side must be SERVICE:PATH (got ${src} and ${dest}); a host path with a colon is written ./${src.includes(':') ? src : dest}`);
  if (ref.service === '') throw new UsageError(`cp: no service before the colon in ${from ? src : dest}`);
  if (ref.path === '') throw new UsageError(`cp: no path after ${ref.service}: (a path in the container, e.g. ${ref.service}:/tmp)`);
  // Paths in the container start at its root; the leading `/` may be left out, as docker cp allows.
  const containerPath = ref.path.startsWith('/') ? ref.path : `/${ref.path}`;
  return from
    ? { direction: 'from-container', service: ref.service, containerPath, hostPath: dest }
    : { direction: 'to-container', service: ref.service, containerPath, hostPath: src };
}
