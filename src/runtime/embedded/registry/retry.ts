/** Retries with exponential back-off for transient registry failures: network errors, 5xx, 429. */

/** How often and how long to retry; `sleep` is injected so tests take no time. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait; each next one doubles, with jitter, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The wait before try `attempt + 1` (attempt counts from 1); a server's Retry-After wins, within the cap. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfter?: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, policy.maxDelayMs);
  const exp = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.round(exp / 2 + (Math.random() * exp) / 2);
}

/** Whether an HTTP status is worth another try. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status !== 501 && status !== 505);
}

/** Whether a thrown error is a network failure (connection refused or reset, a socket that ended early, a timeout). */
export function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'AbortError' && !(err as { timeout?: boolean }).timeout) return false;
  if (err.name === 'TimeoutError') return true;
  const codes = [err, (err as { cause?: unknown }).cause].map((e) => (e as { code?: string } | undefined)?.code ?? '');
  // An unknown host or a certificate that does not verify will not change in a few seconds.
  if (codes.some((c) => /^(ENOTFOUND|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_)/.test(c))) return false;
  if (codes.some((c) => /^(ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_)/.test(c))) return true;
  return err instanceof TypeError && /fetch failed|terminated/.test(err.message);
}

/** A short description of a network error, with its cause's code when there is one. */
export function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: Error & { code?: string } };
  const cause = e.cause ? `${e.cause.code ? `${e.cause.code} ` : ''}${e.cause.message}` : '';
  return cause && !e.message.includes(cause) ? `${e.message} (${cause})` : e.message;
}
