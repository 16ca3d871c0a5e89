/** Service mounts: Compose's short syntax (`"pgdata:/data"`, `"./seed:/seed:ro"`, `"/anon"`) and long syntax. */
import path from 'node:path';
import { ValueError } from './issues.js';
import { parseFileMode } from './file-mode.js';
import type { BindPropagation, VolumeMount } from './model.js';
import { parseSize } from './units.js';
import { isWindowsAbsolutePath, isWindowsHostPath } from './windows-path.js';

/** Long syntax as the schema admits it. */
export interface RawVolumeLong {
  type: 'volume' | 'bind' | 'tmpfs';
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean; propagation?: BindPropagation };
  tmpfs?: { size?: string | number; mode?: number };
}

/** Where relative and `~` host paths resolve. */
export interface PathContext {
  /** Folder of the stack file. */
  dir: string;
  /** The user's home, for `~/…` sources; undefined when unknown. */
  home?: string;
  /** Told of a mount option that is ignored, as Compose ignores it. */
  warn?: (message: string) => void;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Modes of the short syntax; the SELinux and consistency ones are accepted for Compose files and mean nothing here. */
const IGNORED_MODES = new Set(['z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent']);
/** Propagation modes of a bind (short syntax `:ro,rslave`, long syntax `bind.propagation`). */
const PROPAGATION: ReadonlySet<string> = new Set<BindPropagation>(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);

/** One `volumes:` entry of a service in its long form. */
export function parseVolume(value: string | RawVolumeLong, ctx: PathContext): VolumeMount {
  return typeof value === 'string' ? parseShort(value, ctx) : parseLong(value, ctx);
}

function parseShort(text: string, ctx: PathContext): VolumeMount {
  const parts = splitShort(text);
  if (parts.length > 3 || parts.some((p) => p === '')) {
    throw new ValueError(`"${text}" is not a mount; expected "VOLUME:/path", "./host/path:/path[:ro]" or "/path"`);
  }
  if (parts.length === 1) return { type: 'volume', target: checkTarget(parts[0]!), read_only: false };
  const [source, target, modes = ''] = parts as [string, string, string?];
  let readOnly = false;
  let propagation: BindPropagation | undefined;
  for (const mode of modes.split(',').filter(Boolean)) {
    if (mode === 'ro' || mode === 'rw') readOnly = mode === 'ro';
    else if (PROPAGATION.has(mode)) propagation = mode as BindPropagation;
    // compose-go ignores options it does not know (a typo like "roz" leaves the mount read-write); so does hafen, saying so.
    else if (!IGNORED_MODES.has(mode)) ctx.warn?.(`unknown mount option "${mode}" in "${text}" is ignored, as Compose ignores it (expected ro, rw, a propagation like rslave, z, Z or nocopy)`);
  }
  if (isHostPath(source)) {
    // The short syntax creates a missing host folder, as docker-compose always did.
    return { type: 'bind', source: hostPath(source, ctx), target: checkTarget(target), read_only: readOnly, create_host_path: true, ...(propagation ? { propagation } : {}) };
  }
  if (propagation) throw new ValueError(`"${propagation}" in "${text}" applies to a bind mount (a host path), not to the volume "${source}"`);
  return { type: 'volume', source: checkVolumeName(source), target: checkTarget(target), read_only: readOnly };
}

function parseLong(value: RawVolumeLong, ctx: PathContext): VolumeMount {
  const target = checkTarget(value.target);
  const readOnly = value.read_only ?? false;
  switch (value.type) {
    case 'volume':
      if (value.source === undefined || value.source === '') return { type: 'volume', target, read_only: readOnly };
      return { type: 'volume', source: checkVolumeName(value.source), target, read_only: readOnly };
    case 'bind':
      if (!value.source) throw new ValueError('a bind mount needs a source (a host path)');
      return {
        type: 'bind',
        source: hostPath(value.source, ctx),
        target,
        read_only: readOnly,
        create_host_path: value.bind?.create_host_path ?? false,
        ...(value.bind?.propagation ? { propagation: value.bind.propagation } : {}),
      };
    case 'tmpfs': {
      if (value.source) throw new ValueError('a tmpfs mount has no source');
      const mount: VolumeMount = { type: 'tmpfs', target };
      if (value.tmpfs?.size !== undefined) mount.size = parseSize(value.tmpfs.size);
      if (value.tmpfs?.mode !== undefined) mount.mode = parseFileMode(value.tmpfs.mode);
      return mount;
    }
    default: {
      const never: never = value.type;
      throw new ValueError(`unknown mount type "${String(never)}"`);
    }
  }
}

/**
 * The short syntax's fields, split at ":" as Compose splits them (compose-go format/volume.go): a
 * ":" right after a single letter is a Windows drive (`C:\data:/data` is two fields).
 */
function splitShort(text: string): string[] {
  const parts: string[] = [];
  let field = '';
  for (const ch of text) {
    if (ch === ':' && !(field.length === 1 && /\p{L}/u.test(field))) {
      parts.push(field);
      field = '';
    } else field += ch;
  }
  parts.push(field);
  return parts;
}

/** Host paths are written as paths (Windows ones too, as in Compose); anything else names a volume. */
function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || isWindowsHostPath(source);
}

/** Relative paths join the stack file's folder; a Windows absolute path is kept as written, as Compose keeps it. */
function hostPath(source: string, ctx: PathContext): string {
  if (isWindowsAbsolutePath(source)) return source;
  if (source === '~' || source.startsWith('~/')) {
    if (!ctx.home) throw new ValueError(`cannot expand "~" in "${source}": HOME is not set`);
    return path.join(ctx.home, source.slice(1));
  }
  if (source.startsWith('~')) throw new ValueError(`"${source}": only "~/" (your own home) is supported`);
  return path.resolve(ctx.dir, source);
}

function checkTarget(target: string): string {
  if (!target.startsWith('/')) throw new ValueError(`the mount target "${target}" must be an absolute path inside the container`);
  return path.posix.normalize(target);
}

function checkVolumeName(name: string): string {
  if (!VOLUME_NAME.test(name)) throw new ValueError(`"${name}" is not a volume name (letters, digits, "_", "." and "-"); write a host path as ./${name} or /${name}`);
  return name;
}

/** Writes a tmpfs mode back as Compose does: the number itself (`docker compose config` prints 1023 for 0o1777). */
export function formatMode(mode: number): number {
  return mode;
}
