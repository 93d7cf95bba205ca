import { acquire } from './acquire.js';
import type { HeldLock, LockContext } from './acquire.js';
import { LockError } from './errors.js';
import type { HolderInfo } from './holder.js';
import { resolveOptions } from './options.js';
import type { LockOptions } from './options.js';

/**
 * Runs `fn` while holding the lock at `lockPath` (the lock itself, e.g. `<lockfile>.lock`),
 * and always releases it. Rejects with LockError E_LOCK_TIMEOUT when the lock stays
 * held past the timeout, and with E_LOCK_COMPROMISED when the lock was lost while `fn`
 * ran, even if `fn` itself resolved: its result may have raced another writer.
 * Not reentrant: taking the same lock again inside `fn` waits for itself until the timeout.
 */
export async function withLock<T>(
  lockPath: string,
  fn: (ctx: LockContext) => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = await acquire(lockPath, resolveOptions(options));
  return runHeld(held, fn);
}

export type TryLockOptions = Pick<LockOptions, 'staleMs' | 'updateMs' | 'signal'>;

export type TryLockResult<T> = { acquired: true; value: T } | { acquired: false; holder?: HolderInfo };

/**
 * One attempt, no waiting: runs `fn` if the lock is free (or held by a dead or stale
 * holder, which is taken over), else resolves `{ acquired: false }` at once. Errors
 * from `fn`, and a compromise while it runs, reject as in withLock.
 */
export async function tryLock<T>(
  lockPath: string,
  fn: (ctx: LockContext) => Promise<T>,
  options: TryLockOptions = {},
): Promise<TryLockResult<T>> {
  let held: HeldLock;
  try {
    held = await acquire(lockPath, resolveOptions({ ...options, timeoutMs: 0 }));
  } catch (err) {
    if (err instanceof LockError && err.code === 'E_LOCK_TIMEOUT') {
      return err.holder ? { acquired: false, holder: err.holder } : { acquired: false };
    }
    throw err;
  }
  return { acquired: true, value: await runHeld(held, fn) };
}

async function runHeld<T>(held: HeldLock, fn: (ctx: LockContext) => Promise<T>): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn(held.ctx) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  let releaseFailure: { error: unknown } | undefined;
  try {
    await held.release();
  } catch (error) {
    releaseFailure = { error };
  }
  // A lost lock outranks everything, including release errors it causes.
  const lost = held.lost();
  if (lost) throw lost;
  if (!outcome.ok) throw outcome.error;
  if (releaseFailure) throw releaseFailure.error;
  return outcome.value;
}
