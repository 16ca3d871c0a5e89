/**
 * Compose `secrets:` and `configs:`: the top-level definitions (where the data comes from) and each
 * service's references to them (where the file goes in the container, its owner and mode), in
 * their long form. The data of an `environment:` source is read here, once, into a Sensitive.
 */
import path from 'node:path';
import { parseFileMode as parseComposeFileMode } from './file-mode.js';
import type { Lookup } from './interpolate.js';
import { ValueError, type Issues } from './issues.js';
import { labelsOf } from './mappings.js';
import { Sensitive, type FileObject, type FileReference, type Stack } from './model.js';
import type { RawFileObject, RawFileReference } from './raw.js';
import { didYouMean } from './suggest.js';

/** The two kinds, and what differs between them. */
export type FileObjectKind = 'secrets' | 'configs';

/** Where a reference without an absolute target goes: under /run/secrets/ for secrets, under / for configs. */
const TARGET_DIR: Record<FileObjectKind, string> = { secrets: '/run/secrets', configs: '/' };

/** The sources each kind may have (Compose: `content:` is for configs only). */
const SOURCES: Record<FileObjectKind, readonly ('file' | 'environment' | 'content')[]> = {
  secrets: ['file', 'environment'],
  configs: ['file', 'environment', 'content'],
};

/** Normalizes the top-level `secrets:` or `configs:`. */
export function normalizeFileObjects(
  kind: FileObjectKind,
  raw: Record<string, RawFileObject | null> | undefined,
  ctx: { dir: string; env: Lookup; issues: Issues },
): Record<string, FileObject> {
  const out: Record<string, FileObject> = {};
  for (const [key, def] of Object.entries(raw ?? {})) {
    const at = `${kind}.${key}`;
    const external = def?.external !== undefined && def.external !== false;
    const externalName = typeof def?.external === 'object' ? def.external.name : undefined;
    const object: FileObject = {
      name: def?.name ?? externalName ?? key,
      external,
      labels: labelsOf(def?.labels, (a, m) => ctx.issues.value(`${at}.labels${a}`, m)),
    };
    const given = SOURCES[kind].filter((s) => def?.[s] !== undefined);
    if (external) {
      if (given.length > 0) ctx.issues.value(`${at}.${given[0]}`, `an external ${singular(kind)} has no ${given[0]}: remove one of external and ${given[0]}`);
    } else if (given.length === 0) {
      ctx.issues.value(at, `needs one of ${SOURCES[kind].join(', ')} (or external: true)`);
    } else if (given.length > 1) {
      ctx.issues.value(`${at}.${given[1]}`, `give one of ${given.join(' and ')}, not both`);
    }
    if (def?.file !== undefined) object.file = path.resolve(ctx.dir, def.file);
    if (def?.content !== undefined) object.content = def.content;
    if (def?.environment !== undefined) {
      object.environment = def.environment;
      const value = ctx.env(def.environment);
      if (value !== undefined) object.value = new Sensitive(value);
    }
    out[key] = object;
  }
  return out;
}

/** A service's `secrets:` or `configs:` list in its long form; unknown names are reported. */
export function normalizeFileReferences(
  kind: FileObjectKind,
  service: string,
  raw: (string | RawFileReference)[] | undefined,
  defined: Record<string, FileObject>,
  issues: Issues,
): FileReference[] {
  const out: FileReference[] = [];
  (raw ?? []).forEach((entry, i) => {
    const at = `services.${service}.${kind}[${i}]`;
    const long: RawFileReference = typeof entry === 'string' ? { source: entry } : entry;
    if (!Object.hasOwn(defined, long.source)) {
      const names = Object.keys(defined);
      issues.value(typeof entry === 'string' ? at : `${at}.source`, `no ${singular(kind)} named "${long.source}"${didYouMean(long.source, names) || ` (declare it under the top-level ${kind}:)`}`);
      return;
    }
    const ref: FileReference = { source: long.source, target: targetOf(kind, long) };
    for (const id of ['uid', 'gid'] as const) {
      const value = long[id];
      if (value === undefined) continue;
      if (/^\d+$/.test(String(value))) ref[id] = Number(value);
      else issues.value(`${at}.${id}`, `expected a numeric ${id === 'uid' ? 'user' : 'group'} id like 1000, got ${JSON.stringify(value)}`);
    }
    if (long.mode !== undefined) {
      const mode = parseFileMode(long.mode);
      if (mode === undefined) issues.value(`${at}.mode`, `expected permission bits in octal digits like 0400 or 0440, got ${JSON.stringify(long.mode)}`);
      else ref.mode = mode;
    }
    const twice = out.find((r) => r.target === ref.target);
    if (twice) issues.value(at, `${ref.target} is already the target of ${singular(kind)} "${twice.source}"`);
    out.push(ref);
  });
  return out;
}

/**
 * The target as Compose resolves it: a secret's relative target (or its source name) goes under
 * /run/secrets/, a config's under /.
 */
function targetOf(kind: FileObjectKind, ref: RawFileReference): string {
  const target = ref.target ?? ref.source;
  return target.startsWith('/') ? path.posix.normalize(target) : path.posix.join(TARGET_DIR[kind], target);
}

/**
 * A mode as Compose reads it (file-mode.ts): a number as YAML reads it, which hafen does as go-yaml
 * (`0440` and `0o440` are 288; a plain `440` is decimal), a string as octal digits (`"0440"`).
 * Undefined when it is none of these.
 */
export function parseFileMode(value: string | number): number | undefined {
  try {
    return parseComposeFileMode(value);
  } catch (err) {
    if (err instanceof ValueError) return undefined;
    throw err;
  }
}

/** `secrets` → `secret`, for messages. */
export function singular(kind: FileObjectKind): string {
  return kind.slice(0, -1);
}

/** The top-level definitions each service's references point at, for the checks that need both. */
export function definitionsOf(stack: Stack, kind: FileObjectKind): Record<string, FileObject> {
  return kind === 'secrets' ? stack.secrets : stack.configs;
}
