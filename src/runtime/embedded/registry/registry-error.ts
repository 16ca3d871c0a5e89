/** What a registry's refusal means, in words that name the image and say what to do. */
import { RuntimeError } from '../../../errors.js';
import type { Credentials } from './credentials.js';

/** Why a pull failed at the registry. */
export type RegistryFailure = 'unauthorized' | 'denied' | 'not-found' | 'rate-limited' | 'unavailable' | 'digest-mismatch' | 'insecure' | 'protocol';

/** A pull refused or broken at the registry; `reason` is stable, the message names the image. */
export class RegistryError extends RuntimeError {
  readonly reason: RegistryFailure;
  readonly status: number | undefined;
  constructor(image: string, reason: RegistryFailure, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(`image ${image}`, message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.reason = reason;
    this.status = options.status;
  }
}

/** What the request was for, so a 404 can say which thing is missing. */
export type Subject =
  | { kind: 'manifest'; reference: string }
  | { kind: 'blob'; digest: string }
  | { kind: 'token'; realm: string }
  | { kind: 'ping' }
  // A push's requests: a blob upload (start, chunk, finish, mount) and a manifest put.
  | { kind: 'upload'; digest: string; step: string }
  | { kind: 'manifest-put'; reference: string };

/** The context a failure is described in. */
export interface FailureContext {
  image: string;
  /** `127.0.0.1:5000` or `docker.io`. */
  domain: string;
  repository: string;
  credentials: Credentials | undefined;
  /** Where credentials are read from, for the hint. */
  configFile: string;
  attempts: number;
  /** What was being done, for the words of a refusal (default pull). */
  action?: 'pull' | 'push';
}

/** The first `{code, message}` of a registry's error body (`{"errors":[…]}`), if it has one. */
export function registryErrorOf(body: string): { code: string; message: string } | undefined {
  try {
    const first = (JSON.parse(body) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
    return first ? { code: first.code ?? '', message: first.message ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

/** The error for a final HTTP answer that is not a success. */
export function statusError(ctx: FailureContext, subject: Subject, status: number, statusText: string, body: string): RegistryError {
  const detail = registryErrorOf(body);
  const said = detail ? `: ${detail.code}${detail.message ? ` (${detail.message})` : ''}` : '';
  const login = `log in with \`docker login ${ctx.domain}\` (hafen reads ${ctx.configFile})`;
  const opts = { status };
  switch (status) {
    case 401:
      if (ctx.credentials) {
        return new RegistryError(ctx.image, 'unauthorized', `${ctx.domain} refused the credentials of user ${ctx.credentials.username} (from ${ctx.credentials.source}) (401 Unauthorized${said})`, opts);
      }
      return new RegistryError(ctx.image, 'unauthorized', `${ctx.action ?? 'pull'} access denied: ${ctx.repository} does not exist or needs credentials; ${login} (401 Unauthorized${said})`, opts);
    case 403:
      return new RegistryError(ctx.image, 'denied', `${ctx.domain} denies access to ${ctx.repository}${ctx.credentials ? ` for user ${ctx.credentials.username}` : `; ${login}`} (403 Forbidden${said})`, opts);
    case 404:
      return new RegistryError(ctx.image, 'not-found', notFound(ctx, subject, detail?.code) + ` (404 Not Found${said})`, opts);
    case 429:
      return new RegistryError(ctx.image, 'rate-limited', `${ctx.domain} is rate-limiting ${ctx.action ?? 'pull'}s (429 Too Many Requests${said}) and still was after ${ctx.attempts} tries; try again later${ctx.credentials ? '' : `, or ${login}`}`, opts);
    default:
      if (status >= 500) return new RegistryError(ctx.image, 'unavailable', `${ctx.domain} answered ${status} ${statusText}${said} after ${ctx.attempts} tries`, opts);
      return new RegistryError(ctx.image, 'protocol', `${ctx.domain} answered ${status} ${statusText}${said} to ${describe(subject)}`, opts);
  }
}

function notFound(ctx: FailureContext, subject: Subject, code: string | undefined): string {
  if (code === 'NAME_UNKNOWN') return `no repository ${ctx.repository} in ${ctx.domain}`;
  switch (subject.kind) {
    case 'manifest':
      return subject.reference.startsWith('sha256:')
        ? `manifest ${subject.reference} not found in ${ctx.repository}`
        : `manifest for ${ctx.repository}:${subject.reference} not found: no tag ${JSON.stringify(subject.reference)} in ${ctx.domain}`;
    case 'blob':
      return `blob ${subject.digest} is missing from ${ctx.repository} in ${ctx.domain}`;
    case 'token':
      return `the token service ${subject.realm} was not found`;
    case 'ping':
      return `${ctx.domain} does not serve the registry API at /v2/`;
    case 'upload':
      return `the upload of blob ${subject.digest} to ${ctx.repository} was not found (${subject.step}): the registry dropped the upload session`;
    case 'manifest-put':
      return `${ctx.domain} does not know a blob the manifest ${ctx.repository}:${subject.reference} names`;
  }
}

function describe(subject: Subject): string {
  switch (subject.kind) {
    case 'manifest':
      return `the manifest request for ${subject.reference}`;
    case 'blob':
      return `the request for blob ${subject.digest}`;
    case 'token':
      return `the token request to ${subject.realm}`;
    case 'ping':
      return 'GET /v2/';
    case 'upload':
      return `the upload of blob ${subject.digest} (${subject.step})`;
    case 'manifest-put':
      return `the manifest put for ${subject.reference}`;
  }
}
