import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '@swamp-store/lock';
import { KEPT_STATE_FILES, STATE_DIR, STAGING_DIR } from './journal.js';
import type { RepoContext } from './repo.js';
import { deadEvictionTombs, hasDeadLock, lockfileLockPath } from './lock-leftovers.js';
import { recoverInterrupted } from './transaction.js';

/**
 * Anything in the state folder but an empty `staging/` (and KEPT_STATE_FILES) is a crashed
 * transaction's: the journal, a journal temp, or staged files. (`staging/`
 * itself outlives every transaction; testing its mere existence made every
 * list and verify after a pull take the lock.)
 */
async function hasLeftovers(repoDir: string): Promise<boolean> {
  const names = await fs.readdir(path.join(repoDir, STATE_DIR)).catch(() => [] as string[]);
  for (const n of names) {
    if (KEPT_STATE_FILES.has(n)) continue;
    if (n !== 'staging') return true;
    if ((await fs.readdir(path.join(repoDir, STAGING_DIR)).catch(() => [] as string[])).length > 0) return true;
  }
  return false;
}

/**
 * Read-only commands (list, verify) also heal a crashed transaction first, so
 * the invariant holds after ANY next command. Costs a readdir or two when
 * there is nothing to heal; takes the lockfile lock only when there is.
 */
export async function recoverIfNeeded(repo: RepoContext): Promise<boolean> {
  // Lock leftovers too: a dead holder's lock blocks Swamp's own writer; an eviction tomb sits beside the committed lockfile.
  if (!(await hasLeftovers(repo.repoDir)) && !(await hasDeadLock(repo)) && (await deadEvictionTombs(repo)).length === 0) return false;
  await fs.mkdir(path.dirname(repo.lockfilePath), { recursive: true });
  await withLock(lockfileLockPath(repo), () => recoverInterrupted(repo));
  return true;
}
