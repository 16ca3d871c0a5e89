/**
 * A stable fingerprint of what a service's containers are made of, so that `up` recreates only the
 * services whose configuration changed (stored as the `io.hafen.config-hash` label).
 */
import * as crypto from 'node:crypto';
import type { Service, Stack } from '../config/model.js';

/** Where each referenced secret and config comes from, never an environment variable's value. */
function fileSources(service: Service, stack: Pick<Stack, 'secrets' | 'configs'>): unknown[] | undefined {
  const refs = [...service.secrets.map((r) => stack.secrets[r.source]), ...service.configs.map((r) => stack.configs[r.source])];
  if (refs.length === 0) return undefined;
  return refs.map((d) => d && { file: d.file, environment: d.environment, content: d.content, external: d.external });
}

/**
 * Fields that do not change a container: how many there are (`replicas`), when the service takes part
 * (`profiles`), start order (`depends_on`), hafen's own outside checks (`ready`), how an image is
 * fetched (`pull_policy`), where env values were read from (`env_file`: the values are in
 * `environment`), and `x-` extensions.
 */
const IGNORED: ReadonlySet<string> = new Set([
  'replicas',
  'profiles',
  'extensions',
  'depends_on',
  'ready',
  'pull_policy',
  'env_file',
]);

/**
 * sha256 (hex) over the service's canonical JSON, without the fields that do not change a container.
 * With the stack, the sources of its secrets and configs count too (file path, variable name,
 * inline content), so an edited `content:` recreates; a variable's value does not (a hash of a
 * secret in a label could be guessed back).
 */
export function configHash(service: Service, stack?: Pick<Stack, 'secrets' | 'configs'>): string {
  const record = (stack ? { ...service, file_sources: fileSources(service, stack) } : service) as unknown as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    if (IGNORED.has(key)) continue;
    // How a build runs (no_cache, pull, caches) and the image's extra names do not change what it makes.
    const value = key === 'build' && service.build ? { ...service.build, no_cache: undefined, pull: undefined, cache_from: undefined, cache_to: undefined, tags: undefined } : record[key];
    if (value === undefined) continue;
    out += (out.length > 1 ? ',' : '') + jsonString(key) + ':' + canonicalJson(value);
  }
  return sha256(out + '}');
}

/** Hex sha256 of a string; the one-shot `crypto.hash` where Node has it (20.12+), else a Hash object. */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted at every level and undefined members left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined || typeof member === 'function') continue;
    out += (first ? '' : ',') + jsonString(key) + ':' + canonicalJson(member);
    first = false;
  }
  return out + '}';
}

/** Strings that JSON writes as they are, between quotes. */
const PLAIN = /^[^"\\\u0000-\u001f\u2028\u2029\ud800-\udfff]*$/;

/** A JSON string literal, skipping `JSON.stringify` for the common plain case (hashing 10,000 services). */
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
