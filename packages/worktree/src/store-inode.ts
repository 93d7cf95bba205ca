import { statSync, type Stats } from 'node:fs';
import { ctimeCleared, type CtimeCheck, type Store, type TreeFileRecord } from '@swamp-store/store';

/**
 * "This worktree file is the store's file": the one home of the inode test
 * that linking, verifying, the fast path and the written-through repair share.
 */

/**
 * The store's device, looked up once per store per process (a CLI process runs
 * one command, and every tree lives under `trees/`, on one device).
 */
const devices = new Map<string, number>();
export function storeDevice(store: Store): number {
  let dev = devices.get(store.layout.trees);
  if (dev === undefined) {
    dev = statSync(store.layout.trees).dev;
    devices.set(store.layout.trees, dev);
  }
  return dev;
}

/**
 * True when `st` is a regular file sharing the store file's inode. The device
 * too: inode numbers repeat across filesystems (a store on tmpfs, copies in the
 * worktree), so an inode match alone could name a file of other content.
 */
export function isStoreInode(st: Stats | undefined, rec: Pick<TreeFileRecord, 'ino'>, storeDev: number): st is Stats {
  return !!st && st.isFile() && st.dev === storeDev && st.ino === rec.ino;
}

/**
 * True when `st` IS the store file of `rec`, still as published. Size and
 * mtime too: an edit made in place through the hardlink changes the store's
 * copy along with the worktree's, so the inode still matches; without this the
 * next upgrade would discard that edit silently instead of refusing.
 */
export function isPristineLink(st: Stats, rec: TreeFileRecord, storeDev: number): boolean {
  return isStoreInode(st, rec, storeDev) && st.size === rec.size && st.mtimeMs === rec.mtimeMs;
}

/**
 * The no-op checks' verdict on one placed file (fast-path.ts, noop-check.ts): the store's
 * inode as published, its mode too, and no ctime move that the store's own check has not
 * cleared (every link moves ctime, and so does a write whose mtime was put back). A ctime
 * still `seenCtime`, the one an earlier check cleared, means nothing happened to the inode since.
 */
export function placedLinkIntact(st: Stats, rec: TreeFileRecord, storeDev: number, ctimeRecord: () => Record<string, CtimeCheck>, seenCtime?: number): boolean {
  if (!isPristineLink(st, rec, storeDev) || (st.mode & 0o7777) !== rec.mode) return false;
  if (rec.ctimeMs === undefined || st.ctimeMs === rec.ctimeMs || st.ctimeMs === seenCtime) return true;
  return ctimeCleared(st, rec, ctimeRecord()) !== 'hash';
}
