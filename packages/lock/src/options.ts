import type { LockWaitReporter } from './wait-reporter.js';

export interface LockOptions {
  /** Longest wait for the lock; default the process-wide one (setDefaultLockTimeout), else 60000. 0 means one attempt; Infinity waits forever. */
  timeoutMs?: number;
  /** A lock not refreshed for this long is taken over; default 8000, at least 2000 (proper-lockfile's floor). */
  staleMs?: number;
  /** How often the holder refreshes the lock; default staleMs / 2, within [1000, staleMs / 2]. */
  updateMs?: number;
  /** Stops waiting; withLock rejects with the signal's reason. Does not interrupt `fn` once it runs. */
  signal?: AbortSignal;
  /** Called once after a second of waiting; replaces the reporter set with setLockWaitReporter. */
  onWait?: LockWaitReporter;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

let defaultTimeoutMs = DEFAULT_TIMEOUT_MS;

/**
 * Process-wide, like the wait reporter: the CLI sets it once from its settings
 * table (SWAMP_STORE_LOCK_TIMEOUT_MS), so every lock the command takes, deep in
 * any package, waits as long as the user asked without each caller passing it.
 * undefined restores the built-in default.
 */
export function setDefaultLockTimeout(ms: number | undefined): void {
  defaultTimeoutMs = ms !== undefined && !Number.isNaN(ms) && ms >= 0 ? ms : DEFAULT_TIMEOUT_MS;
}
/**
 * 8 s, not proper-lockfile's 10 s: a holder killed before it wrote its holder
 * info can only be judged by staleness, and takeover (stale threshold plus one
 * backoff step) must still complete within the 10 s we promise.
 */
export const DEFAULT_STALE_MS = 8_000;
export const MIN_STALE_MS = 2_000;
export const MIN_UPDATE_MS = 1_000;
export const WAIT_REPORT_AFTER_MS = 1_000;

export interface ResolvedOptions {
  timeoutMs: number;
  staleMs: number;
  updateMs: number;
  signal: AbortSignal | undefined;
  onWait: LockWaitReporter | undefined;
}

export function resolveOptions(options: LockOptions): ResolvedOptions {
  // Mirror proper-lockfile's clamping so that our own staleness checks agree with its.
  const staleMs = Math.max(finiteOr(options.staleMs, DEFAULT_STALE_MS), MIN_STALE_MS);
  const updateMs = Math.max(Math.min(finiteOr(options.updateMs, staleMs / 2), staleMs / 2), MIN_UPDATE_MS);
  return {
    // Infinity is allowed: wait as long as it takes.
    timeoutMs: Math.max(0, options.timeoutMs === undefined || Number.isNaN(options.timeoutMs) ? defaultTimeoutMs : options.timeoutMs),
    staleMs,
    updateMs,
    signal: options.signal,
    onWait: options.onWait,
  };
}

function finiteOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) ? value : fallback;
}
