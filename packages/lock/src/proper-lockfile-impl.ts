import lockfile from 'proper-lockfile';

/**
 * proper-lockfile, loaded with this package: a library user's first lock is
 * taken without a module load in between (the store's crash proofs kill
 * processes at random moments and count how often a lock holder was hit).
 * The CLI bundle swaps this module for proper-lockfile-lazy.ts (see
 * packages/cli/scripts/bundle.mjs), so that a command answered without a lock
 * never loads it.
 */
export async function loadProperLockfile(): Promise<typeof lockfile> {
  return lockfile;
}
