import fs from 'node:fs/promises';
import path from 'node:path';
import { treeDir } from './layout.js';
import { ensureLayout, type Store } from './store.js';

/**
 * Takes a tree out of `trees/` in one rename, so no reader ever sees it half
 * removed. Returns where it went, or undefined when it was already gone (another
 * process got there first). Worktrees that linked its files keep those inodes.
 */
export async function moveAside(store: Store, sha256: string, why: 'tampered' | 'incomplete' | 'corrupt'): Promise<string | undefined> {
  await ensureLayout(store);
  const dest = path.join(store.layout.quarantine, `${sha256}-${why}-${Date.now()}-${process.pid}`);
  try {
    await fs.rename(treeDir(store.layout, sha256), dest);
    return dest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
