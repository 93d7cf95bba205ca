import fs from 'node:fs';
import { evictIf } from './evict.js';
import { readHolder, readHolderSync, writeHolder } from './holder.js';
import type { HolderInfo } from './holder.js';
import { isStale } from './inspect.js';

export interface LockFsHooks {
  holder: HolderInfo;
  staleMs: number;
  /** Our lock turned out to be replaced or removed by someone else. */
  onLost(reason: Error): void;
}

type Callback = (err: NodeJS.ErrnoException | null) => void;

/**
 * The `fs` that proper-lockfile uses for one acquisition. It keeps proper-lockfile's
 * protocol (mkdir to take, mtime refresh, stale check) and changes three things:
 * - mkdir writes holder.json into the new directory before proper-lockfile records the
 *   directory's mtime, so the write does not count as someone else touching the lock;
 * - removing a lock we did not create (the stale takeover) goes through evictIf, so two
 *   waiters cannot both remove and re-create it, and works for Swamp's plain file too;
 * - removing our own lock (release, exit) first checks that the holder is still us, so a
 *   lock that was taken over meanwhile is reported as lost instead of being deleted.
 */
export function createLockFs(hooks: LockFsHooks): Record<string, unknown> {
  let created = false;
  const token = hooks.holder.token;

  const releaseOwn = async (lockPath: string): Promise<void> => {
    const result = await evictIf(lockPath, async (tomb) => (await readHolder(tomb))?.token === token);
    if (result !== 'evicted') {
      const lost = Object.assign(new Error(`Lock ${lockPath} was no longer ours at release (${result})`), { code: 'ECOMPROMISED' });
      hooks.onLost(lost);
      throw lost;
    }
  };

  const removeStale = async (lockPath: string): Promise<void> => {
    const result = await evictIf(lockPath, async (_tomb, stat) => isStale(stat.mtimeMs, hooks.staleMs));
    if (result === 'kept' || result === 'displaced') {
      throw Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED', file: lockPath });
    }
  };

  return {
    // Only what proper-lockfile calls; spreading all of node:fs would touch deprecated getters.
    stat: fs.stat,
    utimes: fs.utimes,
    realpath: fs.realpath,
    mkdir(lockPath: string, callback: Callback): void {
      fs.mkdir(lockPath, (err) => {
        if (err) return callback(err);
        created = true;
        writeHolder(lockPath, hooks.holder).then(
          () => callback(null),
          (writeErr: NodeJS.ErrnoException) => {
            created = false;
            fs.rm(lockPath, { recursive: true, force: true }, () => callback(writeErr));
          },
        );
      });
    },
    rmdir(lockPath: string, callback: Callback): void {
      (created ? releaseOwn(lockPath) : removeStale(lockPath)).then(
        () => callback(null),
        (err: NodeJS.ErrnoException) => callback(err),
      );
    },
    // proper-lockfile's process-exit handler: nothing async runs there.
    rmdirSync(lockPath: string): void {
      if (created && readHolderSync(lockPath)?.token === token) fs.rmSync(lockPath, { recursive: true, force: true });
    },
  };
}
