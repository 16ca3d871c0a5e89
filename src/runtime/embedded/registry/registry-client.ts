/**
 * A client of one repository over the OCI distribution API (Node's fetch): finds the scheme by
 * pinging `/v2/` (https, and http only for loopback and insecure-listed hosts), answers the
 * `WWW-Authenticate` challenge (a bearer token from the realm, or basic auth), retries transient
 * failures with back-off, follows redirects without carrying credentials to another origin, and
 * turns refusals into RegistryErrors that name the image. Pulls GET; a push (`actions: 'pull,push'`)
 * sends its HEAD, POST, PATCH and PUT requests through `send`, its token widened to the scopes a
 * challenge names (a mount's source repository).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sha256, type Digest } from '../layers/index.js';
import { hostLoopbackFetch } from '../rootless/host-loopback.js';
import { MediaType } from '../store/index.js';
import { pickChallenge, type Challenge } from './challenge.js';
import { dockerConfigCredentials, dockerConfigPath, type CredentialLookup, type Credentials } from './credentials.js';
import { isInsecureRegistry, repositoryName, type ImageReference } from './reference.js';
import { RegistryError, statusError, type FailureContext, type Subject } from './registry-error.js';
import { backoffDelay, defaultRetryPolicy, describeNetworkError, isNetworkError, isTransientStatus, type RetryPolicy } from './retry.js';

/** Options of a RegistryClient; everything has a default. */
export interface RegistryClientOptions {
  fetch?: typeof fetch;
  credentials?: CredentialLookup;
  env?: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
  /** What the token asks for on this repository: `pull` (the default) or `pull,push`. */
  actions?: 'pull' | 'pull,push';
}

/** One request of the distribution API beyond GET (a push's HEAD, POST, PATCH, PUT, DELETE). */
export interface SendOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  /** Made again for each try, so a retried upload sends its bytes again. */
  body?: () => Buffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Statuses answered as they are instead of as errors (a HEAD's 404: the blob is not there). */
  allowStatus?: readonly number[];
  signal?: AbortSignal | undefined;
  /** No retry of a network failure or a 5xx here: the caller starts the upload again instead. */
  once?: boolean;
}

/** A manifest or index as the registry sent it, its digest checked. */
export interface FetchedDocument {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
}

/** Every manifest kind hafen reads, in the Accept header. */
export const MANIFEST_ACCEPT = [MediaType.manifest, MediaType.index, MediaType.dockerManifest, MediaType.dockerManifestList].join(', ');
const MAX_DOCUMENT = 4 << 20;
const MAX_REDIRECTS = 5;
const REQUEST_TIMEOUT_MS = 60_000;
const USER_AGENT = 'hafen (OCI distribution client)';

export class RegistryClient {
  private readonly fetch: typeof fetch;
  private readonly retry: RetryPolicy;
  private readonly env: NodeJS.ProcessEnv;
  private readonly credentials: Credentials | undefined;
  private base: Promise<string> | undefined;
  private challenge: Challenge | undefined;
  private token: Promise<{ value: string; expires: number }> | undefined;
  private readonly actions: 'pull' | 'pull,push';
  /** Scopes a registry's challenge asked for beyond this repository's (a mount's source repository). */
  private readonly extraScopes = new Set<string>();

  /** `image` names the pull in errors (the reference as the user wrote it). */
  constructor(
    private readonly ref: ImageReference,
    private readonly image: string,
    opts: RegistryClientOptions = {},
  ) {
    // Inside a user's namespaces (issue 17), the host's loopback is reached through the outer process.
    this.fetch = opts.fetch ?? hostLoopbackFetch(opts.env) ?? globalThis.fetch;
    this.retry = { ...defaultRetryPolicy, ...opts.retry };
    this.env = opts.env ?? process.env;
    this.credentials = (opts.credentials ?? dockerConfigCredentials(this.env))(ref.domain);
    this.actions = opts.actions ?? 'pull';
  }

  /** A manifest or index by tag or digest; its bytes hash to the digest asked for (or the one the registry states). */
  async manifest(reference: string, signal?: AbortSignal): Promise<FetchedDocument> {
    const subject: Subject = { kind: 'manifest', reference };
    const res = await this.request(`/v2/${this.ref.path}/manifests/${reference}`, subject, { accept: MANIFEST_ACCEPT, signal });
    const bytes = await readLimited(res, MAX_DOCUMENT, () => this.fail('protocol', `the manifest ${reference} is larger than ${MAX_DOCUMENT} bytes`));
    const digest = sha256(bytes);
    const stated = res.headers.get('docker-content-digest');
    const expected = reference.startsWith('sha256:') ? reference : stated?.startsWith('sha256:') ? stated : undefined;
    if (expected && expected !== digest) {
      throw this.fail('digest-mismatch', `the manifest for ${reference} does not match its digest: expected ${expected}, got ${digest}; refused`);
    }
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    try {
      mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType;
    } catch {
      throw this.fail('protocol', `the manifest for ${reference} is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** A blob's bytes as a stream (unverified: the caller hashes them), and its length when the registry says. */
  async blob(digest: Digest, signal?: AbortSignal): Promise<{ stream: Readable; length: number | undefined }> {
    const res = await this.request(`/v2/${this.ref.path}/blobs/${digest}`, { kind: 'blob', digest }, { signal });
    if (!res.body) throw this.fail('protocol', `blob ${digest}: the registry sent no body`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    return { stream: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), length: Number.isFinite(length) ? length : undefined };
  }

  /** A RegistryError about this image. */
  fail(reason: ConstructorParameters<typeof RegistryError>[1], message: string, cause?: unknown): RegistryError {
    return new RegistryError(this.image, reason, message, cause !== undefined ? { cause } : {});
  }

  /**
   * Any request of the distribution API (`path` under /v2/, or an upload's absolute Location), with
   * auth, retries and redirects; resolves to a 2xx response (or one of `allowStatus`) or throws a RegistryError.
   */
  async send(path: string, subject: Subject, opts: SendOptions = {}): Promise<Response> {
    return this.request(path, subject, opts);
  }

  /** An absolute URL for a `Location` header the registry sent (relative ones resolve against the registry). */
  async resolve(location: string, signal?: AbortSignal): Promise<string> {
    return new URL(location, `${await this.baseUrl(signal)}/`).href;
  }

  /** Request `path` with auth, retries and redirects; resolves to a 2xx response or throws a RegistryError. */
  private async request(path: string, subject: Subject, opts: { accept?: string } & SendOptions): Promise<Response> {
    const base = await this.baseUrl(opts.signal);
    const url = /^https?:\/\//.test(path) ? path : `${base}${path}`;
    // An upload Location on another origin (a storage service) gets no credentials of this registry.
    const sameOrigin = new URL(url).origin === new URL(base).origin;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...opts.headers };
      if (opts.accept) headers.accept = opts.accept;
      const auth = sameOrigin ? await this.authorization(opts.signal) : undefined;
      const tokenUsed = this.token;
      if (auth) headers.authorization = auth;
      let res: Response;
      try {
        res = await this.get(url, headers, opts.signal, opts.method, opts.body);
      } catch (err) {
        if (err instanceof RegistryError || !isNetworkError(err) || opts.signal?.aborted || attempt >= this.retry.attempts || opts.once) throw this.networkFailure(err, url, attempt);
        await this.retry.sleep(backoffDelay(this.retry, attempt));
        continue;
      }
      if (res.ok || opts.allowStatus?.includes(res.status)) return res;
      const challenge = res.status === 401 && !reauthenticated && sameOrigin ? pickChallenge(res.headers.get('www-authenticate')) : undefined;
      if (challenge && (challenge.scheme === 'bearer' || (this.credentials && !auth))) {
        // A first challenge, or a token that expired or lacks a scope (a mount's source): answer it once more.
        reauthenticated = true;
        this.challenge = challenge;
        const known = this.extraScopes.size;
        for (const scope of (challenge.params.scope ?? '').split(' ')) if (scope && scope !== this.scope()) this.extraScopes.add(scope);
        // A token another request already renewed (with every scope asked for so far) is used as it is.
        if (this.token === tokenUsed || this.extraScopes.size > known) this.token = undefined;
        await res.body?.cancel();
        attempt--;
        continue;
      } else if (isTransientStatus(res.status) && attempt < this.retry.attempts && !opts.once) {
        await res.body?.cancel();
        await this.retry.sleep(backoffDelay(this.retry, attempt, res.headers.get('retry-after')));
        continue;
      }
      throw statusError(this.context(attempt), subject, res.status, res.statusText, await readText(res));
    }
  }

  /** `https://host` or, for loopback and insecure-listed hosts whose https fails, `http://host`; pings `/v2/` once for its challenge. */
  private baseUrl(signal?: AbortSignal): Promise<string> {
    this.base ??= (async () => {
      const host = this.ref.endpoint;
      const schemes = isInsecureRegistry(host, this.env) ? ['https', 'http'] : ['https'];
      let lastError: unknown;
      for (const [i, scheme] of schemes.entries()) {
        const base = `${scheme}://${host}`;
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await this.get(`${base}/v2/`, { 'user-agent': USER_AGENT }, signal);
            if (res.status === 401) this.challenge = pickChallenge(res.headers.get('www-authenticate'));
            await res.body?.cancel();
            return base;
          } catch (err) {
            lastError = err;
            const last = i === schemes.length - 1;
            if (!last || err instanceof RegistryError || !isNetworkError(err) || signal?.aborted || attempt >= this.retry.attempts) break;
            await this.retry.sleep(backoffDelay(this.retry, attempt));
          }
        }
      }
      throw lastError instanceof RegistryError ? lastError : this.networkFailure(lastError, `${schemes.at(-1)}://${host}/v2/`, this.retry.attempts);
    })();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  /** The Authorization header for the current challenge: a bearer token (fetched once per pull) or basic credentials. */
  private async authorization(signal?: AbortSignal): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.credentials ? basic(this.credentials) : undefined;
    // One token request for requests made at once (a push's parallel blobs), shared by all of them.
    const current = this.token;
    if (current) {
      const held = await current.catch(() => undefined);
      if (held && held.expires > Date.now()) return `Bearer ${held.value}`;
      if (this.token === current) this.token = undefined;
    }
    const pending = (this.token ??= this.fetchToken(c, signal));
    pending.catch(() => {
      if (this.token === pending) this.token = undefined;
    });
    return `Bearer ${(await pending).value}`;
  }

  /** This repository's scope: `repository:NAME:pull` or `…:pull,push`. */
  private scope(): string {
    return `repository:${this.ref.path}:${this.actions}`;
  }

  /** A token from the challenge's realm, for this repository (and scopes the registry asked for), sending credentials when there are some. */
  private async fetchToken(c: Challenge, signal?: AbortSignal): Promise<{ value: string; expires: number }> {
    const realm = new URL(c.params.realm!);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && isInsecureRegistry(realm.host, this.env))) {
      throw this.fail('insecure', `the token realm ${realm.href} is not https (http:// is only used for loopback and HAFEN_INSECURE_REGISTRIES)`);
    }
    if (c.params.service) realm.searchParams.set('service', c.params.service);
    for (const scope of [this.scope(), ...this.extraScopes]) realm.searchParams.append('scope', scope);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (this.credentials) headers.authorization = basic(this.credentials);
    const subject: Subject = { kind: 'token', realm: realm.origin + realm.pathname };
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.get(realm.href, headers, signal);
      } catch (err) {
        if (err instanceof RegistryError || !isNetworkError(err) || signal?.aborted || attempt >= this.retry.attempts) throw this.networkFailure(err, subject.realm, attempt);
        await this.retry.sleep(backoffDelay(this.retry, attempt));
        continue;
      }
      if (isTransientStatus(res.status) && attempt < this.retry.attempts) {
        await res.body?.cancel();
        await this.retry.sleep(backoffDelay(this.retry, attempt, res.headers.get('retry-after')));
        continue;
      }
      if (!res.ok) throw statusError(this.context(attempt), subject, res.status, res.statusText, await readText(res));
      const body = JSON.parse(await readText(res)) as { token?: string; access_token?: string; expires_in?: number };
      const value = body.token ?? body.access_token;
      if (!value) throw this.fail('protocol', `the token service ${subject.realm} answered without a token`);
      return { value, expires: Date.now() + Math.max(30, (body.expires_in ?? 60) - 10) * 1000 };
    }
  }

  /** One request (a GET unless told), following redirects by hand so credentials never go to another origin or over a downgraded scheme. */
  private async get(url: string, headers: Record<string, string>, signal?: AbortSignal, method = 'GET', body?: SendOptions['body']): Promise<Response> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      // The timeout covers the wait for headers; a body then streams as long as bytes keep coming.
      // An upload's body re-arms it as it goes, so a large blob on a slow link fails only when it stalls.
      const ctrl = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => ctrl.abort(new DOMException(`no answer from ${current.host} within ${REQUEST_TIMEOUT_MS / 1000}s`, 'TimeoutError')), REQUEST_TIMEOUT_MS);
      };
      arm();
      // Combined, not a listener added to `signal` per request: a push makes hundreds of requests on one signal.
      const combined = signal ? AbortSignal.any([ctrl.signal, signal]) : ctrl.signal;
      let res: Response;
      try {
        const payload = body?.();
        const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'manual', signal: combined };
        if (payload !== undefined) Object.assign(init, { body: pacedBody(payload, arm), duplex: 'half' });
        res = await this.fetch(current, init);
      } finally {
        clearTimeout(timer);
      }
      const location = res.headers.get('location');
      // Only a GET or HEAD is followed: an upload's Location (202, 201) is the caller's next step.
      if (![301, 302, 303, 307, 308].includes(res.status) || !location || (method !== 'GET' && method !== 'HEAD')) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw this.fail('protocol', `more than ${MAX_REDIRECTS} redirects from ${url}`);
      const next = new URL(location, current);
      if (next.protocol === 'http:' && current.protocol === 'https:' && !isInsecureRegistry(next.host, this.env)) {
        throw this.fail('insecure', `${current.host} redirected to ${next.origin}, which is not https`);
      }
      if (next.origin !== current.origin) {
        headers = { ...headers };
        delete headers.authorization;
      }
      current = next;
    }
  }

  private networkFailure(err: unknown, url: string, attempts: number): RegistryError {
    if (err instanceof RegistryError) return err;
    if ((err as Error)?.name === 'AbortError') return this.fail('unavailable', `the ${this.actions === 'pull' ? 'pull' : 'push'} was cancelled`, err);
    return new RegistryError(this.image, 'unavailable', `cannot reach ${url}: ${describeNetworkError(err)}${attempts > 1 ? ` (after ${attempts} tries)` : ''}`, { cause: err });
  }

  private context(attempts: number): FailureContext {
    return {
      image: this.image,
      domain: this.ref.domain,
      repository: repositoryName(this.ref),
      credentials: this.credentials,
      configFile: dockerConfigPath(this.env),
      attempts,
      action: this.actions === 'pull' ? 'pull' : 'push',
    };
  }
}

/** A request body in pieces of at most 64 KiB, calling `sent` before each and after the last. */
async function* pacedBody(payload: NonNullable<ReturnType<NonNullable<SendOptions['body']>>>, sent: () => void): AsyncGenerator<Uint8Array> {
  const piece = 64 << 10;
  const source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = Buffer.isBuffer(payload) ? [payload] : payload;
  for await (const chunk of source) {
    for (let off = 0; off < chunk.length; off += piece) {
      sent();
      yield chunk.subarray(off, off + piece);
    }
  }
  sent();
}

const basic = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** A response body up to `limit` bytes (more is refused). */
async function readLimited(res: Response, limit: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > limit) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/** A small body as text, for error details (at most 64 KiB, empty when unreadable). */
async function readText(res: Response): Promise<string> {
  try {
    return (await readLimited(res, 64 << 10, () => new Error('too large'))).toString('utf8');
  } catch {
    return '';
  }
}
