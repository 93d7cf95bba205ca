import { setTimeout as delay } from 'node:timers/promises';

export interface Backoff {
  /** The next pause in ms: starts at 10-25 ms, doubles, capped, with jitter so waiters do not poll in step. */
  next(): number;
}

export function createBackoff(firstMs = 10, firstJitterMs = 15, capMs = 250): Backoff {
  let ceiling = 0;
  return {
    next() {
      if (ceiling === 0) {
        ceiling = firstMs + firstJitterMs;
        return firstMs + Math.random() * firstJitterMs;
      }
      ceiling = Math.min(capMs, ceiling * 2);
      return ceiling / 2 + Math.random() * (ceiling / 2);
    },
  };
}

/** Sleeps, or rejects with the signal's own reason as soon as it aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
