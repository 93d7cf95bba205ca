import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from './errors.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** First backoff; doubles each attempt. */
  baseDelayMs: number;
  /** Longest backoff between two attempts. */
  maxDelayMs: number;
  /** Longest Retry-After we honour; a server asking for an hour does not hang the CLI for an hour. */
  maxRetryAfterMs: number;
}

/**
 * Runs `attempt` until it succeeds, fails with an error that is not a
 * retryable RegistryError, or runs out of retries. Backoff is exponential with
 * jitter (half fixed, half random) so many agents that failed together do not
 * come back together.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof RegistryError) || !err.retryable || n >= policy.retries) throw err;
      await sleep(delayFor(policy, n, err.retryAfterMs));
    }
  }
}

export function delayFor(policy: RetryPolicy, n: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const trimmed = v.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  const when = Date.parse(trimmed);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}
