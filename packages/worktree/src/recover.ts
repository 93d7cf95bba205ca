import fs from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '@swamp-store/lock';
import { JOURNAL_FILE, STAGING_DIR } from './journal.js';
import type { RepoContext } from './repo.js';
import { lockfileLockPath, recoverInterrupted } from './transaction.js';

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read-only commands (list, verify) also heal a crashed transaction first, so
 * the invariant holds after ANY next command. Costs two stats when there is
 * nothing to heal; takes the lockfile lock only when there is.
 */
export async function recoverIfNeeded(repo: RepoContext): Promise<boolean> {
  if (!(await exists(path.join(repo.repoDir, JOURNAL_FILE))) && !(await exists(path.join(repo.repoDir, STAGING_DIR)))) return false;
  await fs.mkdir(path.dirname(repo.lockfilePath), { recursive: true });
  await withLock(lockfileLockPath(repo), () => recoverInterrupted(repo));
  return true;
}
