/**
 * What makes two entries of a list "the same" when Compose merges files (compose-go's
 * `override/uncity.go`): a later entry with the same key replaces the earlier one in its place.
 */
import path from 'node:path';
import { parsePort } from './ports.js';
import type { RawPortLong } from './ports.js';

/** The key of a list entry; undefined when it has none (an entry of the wrong shape: the schema reports it). */
export type Indexer = (value: unknown) => string | undefined;

/** `NAME=VALUE` or `NAME` by NAME; other values by themselves (dns, cap_add, profiles, links, aliases). */
export const byName: Indexer = (v) => (typeof v === 'string' ? v.split('=', 1)[0] : scalarKey(v));

/** The same value. */
export const byValue: Indexer = (v) => scalarKey(v);

/** A mount by its target in the container: `"src:/target:ro"`, `"/anon"` or `{target}`. */
export const byMountTarget: Indexer = (v) => {
  if (typeof v === 'string') {
    const parts = v.split(':');
    const target = parts.length === 1 ? parts[0]! : parts[1]!;
    return target === '' ? undefined : path.posix.normalize(target);
  }
  const target = field(v, 'target');
  return typeof target === 'string' ? path.posix.normalize(target) : undefined;
};

/** A device by its path in the container: `"/dev/x"`, `"/dev/x:/dev/y:rwm"` or `{target}`. */
export const byDeviceTarget: Indexer = (v) => {
  if (typeof v === 'string') {
    const parts = v.split(':');
    return parts.length === 1 ? parts[0] : parts[1];
  }
  const target = field(v, 'target');
  return typeof target === 'string' ? target : undefined;
};

/** Secrets and configs by target: the short form (and a long one without target) mounts at `<dir>/<source>`. */
export function byFileMount(dir: string): Indexer {
  return (v) => {
    if (typeof v === 'string') return `${dir}/${v}`;
    const target = field(v, 'target');
    if (typeof target === 'string') return target;
    const source = field(v, 'source');
    return typeof source === 'string' ? `${dir}/${source}` : undefined;
  };
}

/** `env_file` entries by path. */
export const byEnvFilePath: Indexer = (v) => {
  if (typeof v === 'string') return v;
  const p = field(v, 'path');
  return typeof p === 'string' ? p : undefined;
};

/**
 * Ports by {host ip, published, target, protocol}, short and long syntax alike (Compose compares
 * them after turning both into the long form). A range stays its own text.
 */
export const byPort: Indexer = (v) => {
  if (typeof v !== 'string' && typeof v !== 'number' && (typeof v !== 'object' || v === null || Array.isArray(v))) return undefined;
  try {
    const mappings = parsePort(v as string | number | RawPortLong);
    if (mappings.length !== 1) return scalarKey(v);
    const m = mappings[0]!;
    return `${m.host_ip}:${m.published ?? ''}:${m.target}/${m.protocol}`;
  } catch {
    return typeof v === 'object' ? undefined : scalarKey(v);
  }
};

function scalarKey(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
}
