/**
 * Image references as Docker reads them (distribution/reference): `busybox` is
 * `docker.io/library/busybox:latest`, a first component with a `.` or `:` or `localhost` is a
 * registry host (with its port), a tag follows the last `:` of the name, a digest follows `@`. Pure.
 */
import { UsageError } from '../../../errors.js';
import { isDigest, type Digest } from '../layers/index.js';

/** A parsed image reference. */
export interface ImageReference {
  /** The registry as named: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  domain: string;
  /** The host (and port) the distribution API is at: `registry-1.docker.io` for docker.io. */
  endpoint: string;
  /** The repository inside the registry: `library/busybox`. */
  path: string;
  /** The tag, `latest` when neither a tag nor a digest was given; absent for a digest-only reference. */
  tag?: string;
  digest?: Digest;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** A host name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const DOMAIN = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME = 255;

/** Parses `[DOMAIN/]PATH[:TAG][@DIGEST]`; an invalid one is a UsageError saying what is wrong. */
export function parseReference(text: string): ImageReference {
  const bad = (why: string): never => {
    throw new UsageError(`invalid image reference ${JSON.stringify(text)}: ${why}`);
  };
  if (text === '' || /\s/.test(text)) bad('it is empty or has spaces');
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) bad(`${d} is not a sha256 digest (sha256: and 64 lowercase hex digits)`);
    digest = d as Digest;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`tag ${JSON.stringify(tag)} is not valid (letters, digits, _ . -; at most 128)`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let domain = hasDomain ? first : DOCKER_HUB;
  let path = hasDomain ? rest.slice(slash + 1) : rest;
  if (hasDomain && !DOMAIN.test(domain)) bad(`${domain} is not a registry host[:port]`);
  if (HUB_ALIASES.has(domain)) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path === '') bad('it names no repository');
  for (const component of path.split('/')) {
    if (component !== component.toLowerCase() && COMPONENT.test(component.toLowerCase())) bad('repository names must be lowercase');
    if (!COMPONENT.test(component)) bad(`${JSON.stringify(component)} is not a valid name component (lowercase letters, digits, separators . _ __ -)`);
  }
  if (`${domain}/${path}`.length > MAX_NAME) bad(`the name is longer than ${MAX_NAME} characters`);
  const endpoint = domain === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : domain;
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, endpoint, path, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The repository's full name: `docker.io/library/busybox`. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The repository as Docker shows it: `busybox`, `user/app`, `ghcr.io/o/app`. */
export function familiarRepository(ref: ImageReference): string {
  if (ref.domain !== DOCKER_HUB) return repositoryName(ref);
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
}

/** The whole reference in full (`docker.io/library/busybox:1.36`) or familiar (`busybox:1.36`) form. */
export function formatReference(ref: ImageReference, form: 'full' | 'familiar' = 'full'): string {
  const repo = form === 'full' ? repositoryName(ref) : familiarRepository(ref);
  return `${repo}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** What to ask the registry's manifest endpoint for: the digest when there is one (it wins over a tag, as in Docker). */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** Whether a host (`127.0.0.1:5000`, `localhost`, `[::1]:80`) is this machine. */
export function isLoopback(hostPort: string): boolean {
  const host = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether `http://` may be used for a registry: loopback, or listed in HAFEN_INSECURE_REGISTRIES
 * (comma-separated `host` or `host:port`; a bare host covers every port).
 */
export function isInsecureRegistry(hostPort: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (isLoopback(hostPort)) return true;
  const listed = (env.HAFEN_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '')).filter(Boolean);
  const host = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.replace(/:\d+$/, '');
  return listed.some((entry) => entry === hostPort || entry === host);
}
