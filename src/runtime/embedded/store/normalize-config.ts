/**
 * The one reader of image config JSON: turns a config as real tools write it into our typed
 * `ImageConfig`. Docker writes `null` for every empty list and map (`"Env": null`, `"Volumes": null`,
 * `"history": null` after `docker import`), umoci and buildah leave fields out, skopeo keeps what it
 * was given; all of these mean "none". A value of the wrong type (a number for `Env`) is refused with
 * the field named, as Docker's JSON decoder refuses it, so a broken image fails at import, not later.
 * Fields hafen does not use (`Hostname`, `AttachStdin`, `container_config`, …) are dropped here; the
 * stored bytes keep them, so the image id never changes.
 */
import { RuntimeError } from '../../../errors.js';
import { isDigest, type Digest } from '../layers/index.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from './oci-types.js';

type Json = Record<string, unknown>;

/** A config field that is not what the OCI/Docker format says it is. */
class BadField extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    value: unknown,
  ) {
    super(`${field} must be ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'number' ? 'the number' : `the ${typeof value}`} ${JSON.stringify(value)}`.slice(0, 80);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `null` and a missing field are both absent. */
const absent = (v: unknown): v is null | undefined => v === null || v === undefined;

function str(v: unknown, field: string): string | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'string') throw new BadField(field, 'a string', v);
  return v;
}

function strList(v: unknown, field: string): string[] | undefined {
  if (absent(v)) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new BadField(field, 'a list of strings', v);
  return [...v];
}

/** Entrypoint, Cmd and Shell: Docker's decoder also takes one string for a one-word list. */
function words(v: unknown, field: string): string[] | undefined {
  return typeof v === 'string' ? [v] : strList(v, field);
}

/** `{"80/tcp": {}}` sets (ExposedPorts, Volumes): only the keys count; the values may be `null`. */
function keySet(v: unknown, field: string): Record<string, object> | undefined {
  if (absent(v)) return undefined;
  if (!isObject(v)) throw new BadField(field, 'an object', v);
  return Object.fromEntries(Object.keys(v).map((k) => [k, {}]));
}

function labels(v: unknown, field: string): Record<string, string> | undefined {
  if (absent(v)) return undefined;
  if (!isObject(v)) throw new BadField(field, 'an object of strings', v);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) out[k] = str(value, `${field}.${k}`) ?? ''; // Go reads a null string as ""
  return out;
}

/** Durations in nanoseconds (Go's time.Duration); 0 means "the default". */
function nanos(v: unknown, field: string): number | undefined {
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new BadField(field, 'a whole number of nanoseconds', v);
  return v;
}

function healthcheck(v: unknown, field: string): ContainerConfig['Healthcheck'] {
  if (absent(v)) return undefined;
  if (!isObject(v)) throw new BadField(field, 'an object', v);
  const test = strList(v.Test, `${field}.Test`);
  const retries = v.Retries;
  if (!absent(retries) && (typeof retries !== 'number' || !Number.isInteger(retries))) throw new BadField(`${field}.Retries`, 'a whole number', retries);
  const out: NonNullable<ContainerConfig['Healthcheck']> = {};
  if (test) out.Test = test;
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const n = nanos(v[key], `${field}.${key}`);
    if (n !== undefined) out[key] = n;
  }
  if (typeof retries === 'number') out.Retries = retries;
  return out;
}

/** `User` is a string; a bare number (a hand-written config) is read as that uid. */
function user(v: unknown, field: string): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  return str(v, field);
}

/** The runtime part (`config`) of an image config. */
export function normalizeContainerConfig(v: unknown, field = 'config'): ContainerConfig {
  if (absent(v)) return {};
  if (!isObject(v)) throw new BadField(field, 'an object', v);
  const at = (key: string) => `${field}.${key}`;
  const out: ContainerConfig = {
    User: user(v.User, at('User')),
    ExposedPorts: keySet(v.ExposedPorts, at('ExposedPorts')),
    Env: strList(v.Env, at('Env')),
    Entrypoint: words(v.Entrypoint, at('Entrypoint')),
    Cmd: words(v.Cmd, at('Cmd')),
    Volumes: keySet(v.Volumes, at('Volumes')),
    WorkingDir: str(v.WorkingDir, at('WorkingDir')),
    Labels: labels(v.Labels, at('Labels')),
    StopSignal: str(v.StopSignal, at('StopSignal')),
    Shell: words(v.Shell, at('Shell')),
    Healthcheck: healthcheck(v.Healthcheck, at('Healthcheck')),
    OnBuild: strList(v.OnBuild, at('OnBuild')),
  };
  // Empty strings are "unset" in Docker's config (`"User": ""`, `"WorkingDir": ""`): leave them out.
  for (const key of Object.keys(out) as (keyof ContainerConfig)[]) {
    if (out[key] === undefined || out[key] === '') delete out[key];
  }
  return out;
}

function history(v: unknown): HistoryEntry[] | undefined {
  if (absent(v)) return undefined;
  if (!Array.isArray(v)) throw new BadField('history', 'a list', v);
  return v.map((entry, i) => {
    if (!isObject(entry)) throw new BadField(`history[${i}]`, 'an object', entry);
    const out: HistoryEntry = {};
    for (const key of ['created', 'created_by', 'comment', 'author'] as const) {
      const s = str(entry[key], `history[${i}].${key}`);
      if (s !== undefined) out[key] = s;
    }
    if (entry.empty_layer === true) out.empty_layer = true;
    return out;
  });
}

function diffIds(v: unknown): Digest[] {
  if (absent(v)) return []; // an image without layers (umoci new, buildah from scratch before a commit)
  if (!Array.isArray(v) || !v.every((d) => typeof d === 'string' && isDigest(d))) throw new BadField('rootfs.diff_ids', 'a list of sha256 digests', v);
  return [...(v as Digest[])];
}

/**
 * Reads an image config document (parsed JSON) into our typed form; `what` names the image in the
 * error when a field has the wrong type. The result has every optional list and map either present
 * and well-typed or left out, and `config` always present.
 */
export function normalizeImageConfig(raw: unknown, what: string): ImageConfig {
  try {
    if (!isObject(raw)) throw new BadField('the image config', 'a JSON object', raw);
    const rootfs = raw.rootfs;
    if (!absent(rootfs) && !isObject(rootfs)) throw new BadField('rootfs', 'an object', rootfs);
    const out: ImageConfig = {
      architecture: str(raw.architecture, 'architecture') ?? '',
      os: str(raw.os, 'os') ?? '',
      config: normalizeContainerConfig(raw.config),
      rootfs: { type: 'layers', diff_ids: diffIds(rootfs?.diff_ids) },
    };
    const created = str(raw.created, 'created');
    if (created !== undefined) out.created = created;
    const author = str(raw.author, 'author');
    if (author !== undefined) out.author = author;
    const variant = str(raw.variant, 'variant');
    if (variant !== undefined) out.variant = variant;
    const steps = history(raw.history);
    if (steps !== undefined) out.history = steps;
    return out;
  } catch (err) {
    if (!(err instanceof BadField)) throw err;
    const where = err.field === 'the image config' ? '' : 'the image config: ';
    throw new RuntimeError(what, `${where}${err.message}`, { cause: err });
  }
}

/** Parses and normalizes config bytes; invalid JSON is an error naming the image. */
export function parseImageConfig(bytes: Buffer, what: string): ImageConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new RuntimeError(what, `the image config is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return normalizeImageConfig(raw, what);
}
