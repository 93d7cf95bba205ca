import { randomBytes } from 'node:crypto';
import { link, lstat, rename, rm, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/**
 * evicted: the instance we judged was removed. gone: nothing was there any more.
 * kept: what we found no longer qualified and was put back. displaced: it no longer
 * qualified but someone took the path meanwhile, so it could not be put back.
 */
export type EvictResult = 'evicted' | 'gone' | 'kept' | 'displaced';

/**
 * Removes whatever is at `lockPath` only if `shouldEvict` still holds for the very
 * instance removed. Two waiters often judge the same dead or stale lock at once; with a
 * plain remove, the slower one would delete the lock the faster one has just created.
 * Renaming first is atomic, so each waiter inspects exactly what it took away, and a
 * fresh lock taken by mistake goes back.
 *
 * What remains: while a fresh lock is out of place (microseconds), a third process may
 * create the path, and its holder's refresh may see the path missing. Either way one
 * holder keeps the path and the other's refresh or release check reports the lock as
 * compromised, which aborts its operation instead of letting two writers continue.
 */
export async function evictIf(
  lockPath: string,
  shouldEvict: (tombPath: string, stat: Stats) => Promise<boolean>,
): Promise<EvictResult> {
  const tomb = `${lockPath}.evicting-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, tomb);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  let stat: Stats;
  try {
    stat = await lstat(tomb);
  } catch {
    return 'gone';
  }
  let evict = false;
  try {
    evict = await shouldEvict(tomb, stat);
  } catch {
    evict = false;
  }
  if (evict) {
    await rm(tomb, { recursive: true, force: true });
    return 'evicted';
  }
  if (await restore(tomb, lockPath, stat)) return 'kept';
  await rm(tomb, { recursive: true, force: true });
  return 'displaced';
}

async function restore(tomb: string, lockPath: string, stat: Stats): Promise<boolean> {
  try {
    if (stat.isDirectory()) {
      // rename() silently replaces an empty directory that someone has just created: look first.
      if (await exists(lockPath)) return false;
      await rename(tomb, lockPath);
    } else {
      // link() never replaces anything, unlike rename().
      await link(tomb, lockPath);
      await unlink(tomb);
    }
    return true;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
