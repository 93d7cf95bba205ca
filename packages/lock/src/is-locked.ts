import path from 'node:path';
import { inspectLock, isStale } from './inspect.js';
import { resolveOptions } from './options.js';
import { processLiveness } from '@swamp-store/primitives';

/**
 * Whether someone holds the lock now: a lock that is stale or whose holder is dead
 * counts as free, since the next withLock would take it over. Only a hint: the
 * answer can change right after; use tryLock to act on it.
 */
export async function isLocked(lockPath: string, options: { staleMs?: number } = {}): Promise<boolean> {
  const { staleMs } = resolveOptions(options);
  const state = await inspectLock(path.resolve(lockPath));
  if (state.kind === 'free') return false;
  if (state.kind === 'dir' && state.holder && processLiveness(state.holder) === 'dead') return false;
  return !isStale(state.mtimeMs, staleMs);
}
