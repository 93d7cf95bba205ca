import { lstat } from 'node:fs/promises';
import { describeHolder, readHolder } from './holder.js';
import type { HolderInfo } from './holder.js';

/**
 * What occupies a lock path. Ours is a directory (proper-lockfile) with a holder inside;
 * Swamp's own writer takes the same path as a plain file with no owner and never refreshes it.
 */
export type LockState =
  | { kind: 'free' }
  | { kind: 'dir'; mtimeMs: number; holder?: HolderInfo }
  | { kind: 'swamp-file'; mtimeMs: number }
  | { kind: 'other'; mtimeMs: number };

export async function inspectLock(lockPath: string): Promise<LockState> {
  let stat;
  try {
    stat = await lstat(lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'free' };
    throw err;
  }
  if (stat.isDirectory()) {
    const holder = await readHolder(lockPath);
    return holder ? { kind: 'dir', mtimeMs: stat.mtimeMs, holder } : { kind: 'dir', mtimeMs: stat.mtimeMs };
  }
  if (stat.isFile()) return { kind: 'swamp-file', mtimeMs: stat.mtimeMs };
  return { kind: 'other', mtimeMs: stat.mtimeMs };
}

/** Not refreshed within the threshold: proper-lockfile (and we) may take it over. */
export function isStale(mtimeMs: number, staleMs: number, now = Date.now()): boolean {
  return mtimeMs < now - staleMs;
}

export function describeLockState(state: LockState): string {
  switch (state.kind) {
    case 'free':
      return 'nobody (it was just released)';
    case 'dir':
      return state.holder ? describeHolder(state.holder) : `an unknown process (no holder information; refreshed ${iso(state.mtimeMs)})`;
    case 'swamp-file':
      return `Swamp's own lock file (created ${iso(state.mtimeMs)})`;
    case 'other':
      return 'something that is neither a lock directory nor a lock file';
  }
}

/** The command a person runs to get past a lock that is held for too long. */
export function lockRemedy(lockPath: string, state: LockState): string {
  const more = 'set SWAMP_STORE_LOCK_TIMEOUT_MS to wait longer';
  switch (state.kind) {
    case 'dir':
      return state.holder
        ? `Wait for pid ${state.holder.pid} to finish, or stop it with 'kill ${state.holder.pid}' if it is stuck, then retry; ${more}.`
        : `If no swamp-store command is running, remove the lock with 'rm -r ${shellQuote(lockPath)}' and retry; ${more}.`;
    case 'swamp-file':
      return `If no swamp command is running, remove the lock with 'rm ${shellQuote(lockPath)}' and retry; ${more}.`;
    case 'other':
      return `Remove it with 'rm ${shellQuote(lockPath)}' and retry.`;
    case 'free':
      return `Retry; ${more}.`;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

// Paths are quoted inside a single-quoted command in the message, so use double quotes when needed.
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `"${text.replace(/(["\\$`])/g, '\\$1')}"`;
}
