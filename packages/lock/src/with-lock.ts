import path from 'node:path';
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
  const resolved = resolveOptions(options);
  const started = Date.now();
  const leave = await queueInProcess(path.resolve(lockPath), resolved.timeoutMs, options.signal);
  try {
    const held = await acquire(lockPath, { ...resolved, timeoutMs: Math.max(0, resolved.timeoutMs - (Date.now() - started)) });
    return await runHeld(held, fn);
  } finally {
    leave();
  }
}

/** Per lock path, the tail of this process's queue of callers. */
const queues = new Map<string, Promise<void>>();

/**
 * Callers in ONE process take their turn in order instead of polling the lock
 * against each other with backoff: a pull of 100 refs runs 100 transactions on
 * one lockfile lock, and polling let some starve into the timeout. Time spent
 * queued counts toward the timeout. Returns the function that ends our turn.
 */
async function queueInProcess(key: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<() => void> {
  const before = queues.get(key) ?? Promise.resolve();
  let endTurn!: () => void;
  const turn = new Promise<void>((resolve) => (endTurn = resolve));
  const tail = before.then(() => turn);
  queues.set(key, tail);
  const leave = (): void => {
    endTurn();
    if (queues.get(key) === tail) queues.delete(key);
  };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      before,
      new Promise<never>((_, reject) => {
        if (timeoutMs <= 2 ** 31 - 1) {
          timer = setTimeout(
            () => reject(new LockError('E_LOCK_TIMEOUT', `Timed out after ${(timeoutMs / 1000).toFixed(1)} s waiting for the lock ${key}, held by this same process.`, 'Try again; if it persists, report it as a bug.')),
            timeoutMs,
          );
        }
        if (signal) {
          onAbort = () => reject(signal.reason);
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort, { once: true });
        }
      }),
    ]);
  } catch (err) {
    leave();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  return leave;
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
