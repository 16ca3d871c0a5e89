import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultRetryPolicy, isNetworkError, isTransientStatus } from './retry.js';

const failed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

describe('retries', () => {
  it.each([
    [failed('ECONNREFUSED'), true],
    [failed('ECONNRESET'), true],
    [failed('UND_ERR_SOCKET'), true],
    [new TypeError('terminated'), true],
    [new DOMException('slow', 'TimeoutError'), true],
    [failed('ENOTFOUND'), false],
    [failed('DEPTH_ZERO_SELF_SIGNED_CERT'), false],
    [new DOMException('stop', 'AbortError'), false],
    [new Error('bug'), false],
  ])('%s is transient: %s', (err, transient) => expect(isNetworkError(err)).toBe(transient));

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [501, false],
    [404, false],
    [401, false],
  ])('status %i is transient: %s', (status, transient) => expect(isTransientStatus(status)).toBe(transient));

  it('backs off exponentially within the cap, and follows Retry-After', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1)).toBeGreaterThanOrEqual(50);
    expect(backoffDelay(policy, 1)).toBeLessThanOrEqual(100);
    expect(backoffDelay(policy, 10)).toBeLessThanOrEqual(1000);
    expect(backoffDelay(policy, 1, '0.5')).toBe(500);
    expect(backoffDelay(policy, 1, '60')).toBe(1000);
  });
});
