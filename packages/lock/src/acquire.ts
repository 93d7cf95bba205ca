import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createBackoff, sleep } from './backoff.js';
import { loadProperLockfile } from './proper-lockfile-impl.js';
import { LockError } from './errors.js';
import { evictIf } from './evict.js';
import { createHolder, readHolder } from './holder.js';
import type { HolderInfo } from './holder.js';
import { describeLockState, inspectLock, lockRemedy } from './inspect.js';
import type { LockState } from './inspect.js';
import { createLockFs } from './lock-fs.js';
import { WAIT_REPORT_AFTER_MS } from './options.js';
import type { ResolvedOptions } from './options.js';
import { processLiveness } from '@swamp-store/primitives';
import { reportWait } from './wait-reporter.js';


/** What the guarded function gets. */
export interface LockContext {
  /** Absolute path of the lock. */
  readonly lockPath: string;
  readonly holder: HolderInfo;
  /** How long we waited for the lock. */
  readonly waitedMs: number;
  /** True when the lock was held by someone else at our first attempt (we had to wait for it). */
  readonly contended: boolean;
  /** Aborts, with the E_LOCK_COMPROMISED LockError as reason, when the lock is lost while held. */
  readonly signal: AbortSignal;
  /** Throws the E_LOCK_COMPROMISED LockError if the lock was lost; call it before each irreversible step. */
  assertHeld(): void;
}

export interface HeldLock {
  readonly ctx: LockContext;
  /** Removes the lock unless it was lost; may reject when the lock turned out to be lost. */
  release(): Promise<void>;
  /** The E_LOCK_COMPROMISED error if the lock was lost at any point, else undefined. */
  lost(): LockError | undefined;
}

// Immediate retries after removing a dead holder's lock, before falling back to sleeping.
const MAX_QUICK_RETRIES = 3;

/** Waits for the lock with jittered backoff, taking over dead or stale holders, until the timeout. */
export async function acquire(lockPath: string, options: ResolvedOptions): Promise<HeldLock> {
  const absPath = path.resolve(lockPath);
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const backoff = createBackoff();
  let reported = false;
  let quickRetries = 0;
  let contended = false;
  let lastBusy: LockState = { kind: 'free' };

  await mkdir(path.dirname(absPath), { recursive: true });
  for (;;) {
    options.signal?.throwIfAborted();
    const attempt = await attemptOnce(absPath, options, started, contended);
    if (attempt !== 'busy' && attempt !== 'no-parent') return attempt;
    if (attempt === 'busy') contended = true;

    if (attempt === 'no-parent') {
      // Someone removed the folder between our mkdir and proper-lockfile's.
      await mkdir(path.dirname(absPath), { recursive: true });
      if (quickRetries++ < MAX_QUICK_RETRIES) continue;
    } else {
      const state = await inspectLock(absPath);
      if (state.kind !== 'free') lastBusy = state;
      if (quickRetries < MAX_QUICK_RETRIES && (state.kind === 'free' || (await evictDeadHolder(absPath, state)))) {
        quickRetries++;
        continue;
      }
    }

    const now = Date.now();
    const waitedMs = now - started;
    if (now >= deadline) throw timeoutError(absPath, lastBusy, waitedMs);
    if (!reported && waitedMs >= WAIT_REPORT_AFTER_MS) {
      reported = true;
      const holder = lastBusy.kind === 'dir' ? lastBusy.holder : undefined;
      reportWait({ lockPath: absPath, ...(holder ? { holder } : {}), waitedMs, description: describeLockState(lastBusy) }, options.onWait);
    }
    quickRetries = 0;
    await sleep(Math.min(backoff.next(), deadline - now), options.signal);
  }
}

/**
 * A holder that died on this host would otherwise block everyone for the stale
 * threshold. Remove its lock at once, but only if what we remove is still that
 * same dead acquisition (token), not a lock another waiter has just taken.
 */
async function evictDeadHolder(lockPath: string, state: LockState): Promise<boolean> {
  if (state.kind !== 'dir' || !state.holder || processLiveness(state.holder) !== 'dead') return false;
  const deadToken = state.holder.token;
  const result = await evictIf(lockPath, async (tomb) => (await readHolder(tomb))?.token === deadToken);
  return result === 'evicted' || result === 'gone';
}

async function attemptOnce(
  lockPath: string,
  options: ResolvedOptions,
  started: number,
  contended: boolean,
): Promise<HeldLock | 'busy' | 'no-parent'> {
  const holder = createHolder();
  const controller = new AbortController();
  let lostError: LockError | undefined;

  // proper-lockfile's default onCompromised throws from a timer, which kills the process
  // mid-write. Instead, abort the guarded operation and let withLock report it.
  const onLost = (cause: Error): void => {
    if (lostError) return;
    lostError = new LockError(
      'E_LOCK_COMPROMISED',
      `The lock ${lockPath} was lost while this process held it (${cause.message}), so the operation was aborted.`,
      'Another process took the lock over, usually because this one stalled for longer than the stale threshold; run the command again.',
      holder,
      { cause },
    );
    controller.abort(lostError);
  };

  let release: () => Promise<void>;
  try {
    release = await (await loadProperLockfile()).lock(lockPath, {
      lockfilePath: lockPath,
      realpath: false,
      retries: 0,
      stale: options.staleMs,
      update: options.updateMs,
      fs: createLockFs({ holder, staleMs: options.staleMs, onLost }),
      onCompromised: onLost,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOCKED') return 'busy';
    if (code === 'ENOENT') return 'no-parent';
    throw err;
  }

  const ctx: LockContext = {
    lockPath,
    holder,
    waitedMs: Date.now() - started,
    contended,
    signal: controller.signal,
    assertHeld() {
      if (lostError) throw lostError;
    },
  };
  return {
    ctx,
    lost: () => lostError,
    async release() {
      if (lostError) return; // the path belongs to someone else now: leave it alone
      await release();
    },
  };
}

function timeoutError(lockPath: string, state: LockState, waitedMs: number): LockError {
  const holder = state.kind === 'dir' ? state.holder : undefined;
  return new LockError(
    'E_LOCK_TIMEOUT',
    `Timed out after ${(waitedMs / 1000).toFixed(1)} s waiting for the lock ${lockPath}, held by ${describeLockState(state)}.`,
    lockRemedy(lockPath, state),
    holder,
  );
}
